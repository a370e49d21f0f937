"""The call log: calls, their events, and the admin site's users.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uniqueid", sa.String(64), nullable=False),
        sa.Column("client_ref", sa.String(64)),
        sa.Column("caller", sa.String(64), nullable=False, server_default=""),
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("profile", sa.String(32), nullable=False, server_default="national"),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("answered_at", sa.DateTime),
        sa.Column("speech_end_at", sa.DateTime),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("handover_at", sa.DateTime),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("transcript", sa.Text, nullable=False, server_default=""),
        sa.Column("asr_engine", sa.String(32), nullable=False, server_default=""),
        sa.Column("route", sa.JSON),
        sa.Column("action", sa.String(16)),
        sa.Column("target", sa.String(32)),
        sa.Column("category", sa.String(64)),
        sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("matched", sa.JSON),
        sa.Column("outcome", sa.String(64)),
        sa.Column("dtmf", sa.String(32), nullable=False, server_default=""),
        sa.Column("recording_path", sa.String(512)),
        sa.Column("handover_ms", sa.Float),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_calls_uniqueid", "calls", ["uniqueid"], unique=True)
    op.create_index("ix_calls_client_ref", "calls", ["client_ref"])
    op.create_index("ix_calls_platform", "calls", ["platform"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_index("ix_calls_action", "calls", ["action"])
    op.create_index("ix_calls_target", "calls", ["target"])
    op.create_index("ix_calls_category", "calls", ["category"])
    op.create_index("ix_calls_emergency", "calls", ["emergency"])
    op.create_index("ix_calls_outcome", "calls", ["outcome"])
    op.create_index("ix_calls_platform_started", "calls", ["platform", "started_at"])
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON),
    )
    op.create_index("ix_call_events_call_id", "call_events", ["call_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="viewer"),
        sa.Column("api_token_hash", sa.String(128)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime),
    )
    op.create_index("ix_users_username", "users", ["username"], unique=True)
    op.create_index("ix_users_api_token_hash", "users", ["api_token_hash"])


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("call_events")
    op.drop_table("calls")
