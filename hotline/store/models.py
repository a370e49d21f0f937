"""SQLAlchemy models of the call log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotline.store.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One call as the caller experienced it, from answer to hang-up."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # Asterisk UNIQUEID
    caller: Mapped[str] = mapped_column(String(64), default="", index=True)
    platform: Mapped[str] = mapped_column(String(8), index=True)  # receiving platform: 12345 | 110
    profile: Mapped[str] = mapped_column(String(32), default="national")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    speech_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handover_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transcript: Mapped[str] = mapped_column(Text, default="")
    asr_engine: Mapped[str] = mapped_column(String(32), default="")
    route: Mapped[dict | None] = mapped_column(JSON)  # the router's decision object
    action: Mapped[str | None] = mapped_column(String(16), index=True)
    target: Mapped[str | None] = mapped_column(String(32), index=True)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    matched: Mapped[list | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(64), index=True)
    dtmf: Mapped[str] = mapped_column(String(32), default="")
    recording_path: Mapped[str | None] = mapped_column(String(512))
    handover_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    # set on every write: the dashboard's hourly figures are recomputed for the hours that changed
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_calls_platform_started", "platform", "started_at"),
        Index("ix_calls_action_started", "action", "started_at"),
        Index("ix_calls_target_started", "target", "started_at"),
        Index("ix_calls_emergency_started", "emergency", "started_at"),
        Index("ix_calls_outcome_started", "outcome", "started_at"),
        # a platform-scoped user always filters by platform: these count and page without table reads
        Index("ix_calls_platform_emergency_started", "platform", "emergency", "started_at"),
        Index("ix_calls_platform_action_target_started", "platform", "action", "target", "started_at"),
        Index("ix_calls_platform_outcome_started", "platform", "outcome", "started_at"),
        Index("ix_calls_platform_category_started", "platform", "category", "started_at"),
    )


class CallEvent(Base):
    """A step of a call: answer, prompt, speech end, decision, handover, bridge join/leave, hang-up."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict | None] = mapped_column(JSON)
    # the journal entry that wrote it: an entry replayed after a crash is not recorded twice
    journal_id: Mapped[str | None] = mapped_column(String(36), unique=True)

    call: Mapped[Call] = relationship(back_populates="events")


class Meta(Base):
    """Facts about the database itself (created_at: calls older than it are never imported from the CDR)."""

    __tablename__ = "hotline_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class User(Base):
    """An admin-site user. Passwords and API tokens are stored as hashes only.

    role: admin | reviewer | viewer (what each may do: hotline.admin.roles); scope: None (both
    platforms) or the one platform ("12345" | "110") whose calls the user sees. session_version grows
    when the password is reset or the user disabled, which ends the sessions signed in before.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    scope: Mapped[str | None] = mapped_column(String(8))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", order_by="ApiToken.id")


class ApiToken(Base):
    """A bearer token of a user for the JSON API: shown once, stored as a SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """Who did what, when, from where. Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: the trail outlives accounts
    username: Mapped[str] = mapped_column(String(64), default="", index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)  # hotline.admin.audit.ACTIONS
    object_type: Mapped[str] = mapped_column(String(16), default="")  # call | user | token | export | …
    object_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    via: Mapped[str] = mapped_column(String(8), default="web")  # web | api | cli
    detail: Mapped[dict | None] = mapped_column(JSON)


class CallReview(Base):
    """A reviewer's verdict on a call's decision; a correction is a labeled row for training.

    kind/targets follow the corpus labeling (platform|number|guide|clarify|agent, targets such as
    "110" or "119,110"); the latest review of a call is the one that counts.
    """

    __tablename__ = "call_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    verdict: Mapped[str] = mapped_column(String(8))  # correct | wrong
    kind: Mapped[str] = mapped_column(String(16))
    targets: Mapped[str] = mapped_column(String(64))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class LoginThrottle(Base):
    """Sign-in attempts per key (ip, ip+name, name) and time window, counted by atomic upserts."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # epoch seconds // window length
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class CallStatsDay(Base):
    """The dashboard's pre-aggregated figures: one row per local day of the site and receiving platform.

    Latencies are kept as histograms (bucket -> count, buckets 2 % wide), so percentiles over any range
    of days come out within 1 % without reading the calls; `hours` counts calls per local hour.
    """

    __tablename__ = "call_stats_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(8), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    emergencies: Mapped[int] = mapped_column(Integer, default=0)
    to_other_platform: Mapped[int] = mapped_column(Integer, default=0)
    handovers: Mapped[int] = mapped_column(Integer, default=0)  # transfers and conferences that ended
    handovers_ok: Mapped[int] = mapped_column(Integer, default=0)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)  # hours, actions, categories, outcomes, histograms


class StatsState(Base):
    """How far the daily figures are: calls written before `rolled_at` are counted, in `zone`'s days."""

    __tablename__ = "stats_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zone: Mapped[str | None] = mapped_column(String(64))
