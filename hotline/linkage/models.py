"""Tables of the work orders, the outbox of deliveries to peers, and the inbox of deliveries received."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models import Base
from hotline.store.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Order(Base):
    """A work order (工单/警单). Its status and dates are a fold of `history`, kept in columns for queries."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID, shared by both platforms
    number: Mapped[str] = mapped_column(String(32), unique=True)  # readable: 110-20261124-000123
    origin_platform: Mapped[str] = mapped_column(String(8), index=True)  # the platform that received the call
    target_platform: Mapped[str] = mapped_column(String(8), index=True)  # the platform that handles it
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    caller_name: Mapped[str | None] = mapped_column(String(64))
    event_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_time_text: Mapped[str | None] = mapped_column(String(64))  # as said: 昨天晚上
    location: Mapped[str | None] = mapped_column(Text)  # as said
    region_code: Mapped[str | None] = mapped_column(String(12))  # GB/T 2260
    request_text: Mapped[str] = mapped_column(Text, default="")  # the caller's words
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    category_name: Mapped[str | None] = mapped_column(String(128))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[dict | None] = mapped_column(JSON)  # action, rule, explanation, evidence
    source_call_id: Mapped[str | None] = mapped_column(String(64), index=True)  # Asterisk UNIQUEID
    recording: Mapped[str | None] = mapped_column(String(512))
    profile: Mapped[str] = mapped_column(String(32), default="national")
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(Text)  # 办理结果
    return_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 满意, 2 基本满意, 3 不满意
    followup_result: Mapped[str | None] = mapped_column(String(16))  # answered | no_answer | busy | failed
    followup_attempts: Mapped[int] = mapped_column(Integer, default=0)
    followup_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # origin only
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    deadlines: Mapped[dict] = mapped_column(JSON, default=dict)  # the origin profile's, fixed at creation
    version: Mapped[int] = mapped_column(Integer, default=0)  # highest history seq (a Lamport clock)
    history: Mapped[list] = mapped_column(JSON, default=list)

    # a caller's orders, newest first: the call page lists them beside a call about a matter handed in before
    __table_args__ = (
        Index("ix_orders_status_due", "status", "due_at"),
        Index("ix_orders_caller_created", "caller_number", "created_at"),
    )


class OutboxMessage(Base):
    """A delivery to a peer, written in the same transaction as the change it tells of."""

    __tablename__ = "linkage_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # order of writing
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhook-id: the receiver dedupes on it
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    peer: Mapped[str] = mapped_column(String(16), index=True)  # the peer's platform
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None] = mapped_column(Float)  # written -> acknowledged

    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)


class InboxDelivery(Base):
    """A delivery received from a peer: a webhook-id seen twice is acknowledged and not applied again."""

    __tablename__ = "linkage_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer: Mapped[str] = mapped_column(String(16))
    msg_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("peer", "msg_id", name="uq_inbox_peer_msg"),)
