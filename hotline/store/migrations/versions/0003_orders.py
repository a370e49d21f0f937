"""Work orders between the platforms, the outbox of deliveries to peers, the inbox of deliveries received.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("origin_platform", sa.String(8), nullable=False, index=True),
        sa.Column("target_platform", sa.String(8), nullable=False, index=True),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("caller_name", sa.String(64)),
        sa.Column("event_time", TZ),
        sa.Column("event_time_text", sa.String(64)),
        sa.Column("location", sa.Text),
        sa.Column("region_code", sa.String(12)),
        sa.Column("request_text", sa.Text, nullable=False, server_default=""),
        sa.Column("category", sa.String(64), index=True),
        sa.Column("category_name", sa.String(128)),
        sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decision", sa.JSON),
        sa.Column("source_call_id", sa.String(64), index=True),
        sa.Column("recording", sa.String(512)),
        sa.Column("profile", sa.String(32), nullable=False, server_default="national"),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("due_at", TZ, index=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("accepted_at", TZ),
        sa.Column("resolved_at", TZ),
        sa.Column("closed_at", TZ),
        sa.Column("result", sa.Text),
        sa.Column("return_reason", sa.Text),
        sa.Column("rating", sa.Integer),
        sa.Column("followup_result", sa.String(16)),
        sa.Column("followup_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("followup_next_at", TZ, index=True),
        sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deadlines", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("history", sa.JSON, nullable=False),
    )
    op.create_index("ix_orders_status_due", "orders", ["status", "due_at"])
    op.create_table(
        "linkage_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("msg_id", sa.String(64), nullable=False, unique=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("peer", sa.String(16), nullable=False, index=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("latency_ms", sa.Float),
    )
    op.create_index("ix_outbox_pending", "linkage_outbox", ["delivered_at", "next_attempt_at"])
    op.create_table(
        "linkage_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("peer", sa.String(16), nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("received_at", TZ, nullable=False),
        sa.UniqueConstraint("peer", "msg_id", name="uq_inbox_peer_msg"),
    )


def downgrade() -> None:
    op.drop_table("linkage_inbox")
    op.drop_index("ix_outbox_pending", "linkage_outbox")
    op.drop_table("linkage_outbox")
    op.drop_index("ix_orders_status_due", "orders")
    op.drop_table("orders")
