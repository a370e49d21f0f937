"""The call log: one record per call, with its event timeline (SQLite by default, any SQLAlchemy URL)."""

from hotline.store.calllog import CallLog, migrate
from hotline.store.models import (
    ApiToken,
    AuditEntry,
    Base,
    Call,
    CallEvent,
    CallReview,
    CallStatsDay,
    LoginThrottle,
    Meta,
    StatsState,
    User,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Call",
    "CallEvent",
    "CallLog",
    "CallReview",
    "CallStatsDay",
    "LoginThrottle",
    "Meta",
    "StatsState",
    "User",
    "migrate",
]
