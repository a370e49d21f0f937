"""The call log: one record per call, with its event timeline (SQLite by default, any SQLAlchemy URL)."""

from hotline.store.calllog import CallLog, migrate
from hotline.store.models import Base, Call, CallEvent, Meta, User

__all__ = ["Base", "Call", "CallEvent", "CallLog", "Meta", "User", "migrate"]
