"""SQLAlchemy models of the call log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One call as the caller experienced it, from answer to hang-up."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # Asterisk UNIQUEID
    caller: Mapped[str] = mapped_column(String(64), default="")
    platform: Mapped[str] = mapped_column(String(8), index=True)  # receiving platform: 12345 | 110
    profile: Mapped[str] = mapped_column(String(32), default="national")
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    speech_end_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    handover_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
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

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_calls_platform_started", "platform", "started_at"),
        Index("ix_calls_action_started", "action", "started_at"),
        Index("ix_calls_target_started", "target", "started_at"),
        Index("ix_calls_emergency_started", "emergency", "started_at"),
        Index("ix_calls_outcome_started", "outcome", "started_at"),
    )


class CallEvent(Base):
    """A step of a call: answer, prompt, speech end, decision, handover, bridge join/leave, hang-up."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
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
    """An admin-site user. Passwords and API tokens are stored as hashes only."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="viewer")  # admin | viewer
    api_token_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
