"""The admin for a hotline centre: aware UTC timestamps, roles scoped to a platform, API tokens with
expiry, an append-only audit log, reviewers' corrections, login throttling counters, and the
dashboard's daily figures.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from hotline.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# every timestamp column that existed before: PostgreSQL turns them into timestamptz (values were UTC)
TIMESTAMPS = {
    "calls": ["started_at", "answered_at", "speech_end_at", "decided_at", "handover_at", "ended_at"],
    "call_events": ["at"],
    "users": ["created_at"],
}
# a platform-scoped user always filters by platform: these count and page without table reads
PLATFORM_INDEXES = {
    "ix_calls_platform_emergency_started": ["platform", "emergency", "started_at"],
    "ix_calls_platform_action_target_started": ["platform", "action", "target", "started_at"],
    "ix_calls_platform_outcome_started": ["platform", "outcome", "started_at"],
    "ix_calls_platform_category_started": ["platform", "category", "started_at"],
}
OLD_TOKEN_DAYS = 90  # tokens issued before expiry existed get this long from the upgrade

AUDIT_TRIGGERS_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
AUDIT_TRIGGERS_POSTGRES = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        for table, cols in TIMESTAMPS.items():
            for col in cols:
                op.execute(f"ALTER TABLE {table} ALTER COLUMN {col} TYPE timestamptz USING {col} AT TIME ZONE 'UTC'")

    with op.batch_alter_table("calls") as b:
        b.add_column(sa.Column("updated_at", UTCDateTime()))
    op.execute("UPDATE calls SET updated_at = COALESCE(ended_at, started_at)")
    op.create_index("ix_calls_updated_at", "calls", ["updated_at"])
    op.create_index("ix_calls_caller", "calls", ["caller"])
    for name, cols in PLATFORM_INDEXES.items():
        op.create_index(name, "calls", cols)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False, server_default=""),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime()),
        sa.Column("last_used_ip", sa.String(64)),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)

    # the one token per user of before becomes a token with an expiry
    now = datetime.now(UTC)
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("api_token_hash", sa.String))
    tokens = sa.table(
        "api_tokens",
        sa.column("user_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("token_hash", sa.String),
        sa.column("prefix", sa.String),
        sa.column("created_at", UTCDateTime()),
        sa.column("created_by", sa.String),
        sa.column("expires_at", UTCDateTime()),
    )
    old = bind.execute(sa.select(users.c.id, users.c.api_token_hash).where(users.c.api_token_hash.isnot(None)))
    rows = [
        {
            "user_id": uid,
            "name": "迁移前签发",
            "token_hash": h,
            "prefix": "",
            "created_at": now,
            "created_by": "migration",
            "expires_at": now + timedelta(days=OLD_TOKEN_DAYS),
        }
        for uid, h in old
    ]
    if rows:
        op.bulk_insert(tokens, rows)

    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("scope", sa.String(8)))
        b.add_column(sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("last_login_at", UTCDateTime()))
        b.drop_index("ix_users_api_token_hash")
        b.drop_column("api_token_hash")
        b.drop_column("failed_logins")  # throttling moved to login_throttle (per IP, IP+name, name)
        b.drop_column("locked_until")

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("username", sa.String(64), nullable=False, server_default=""),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("object_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("object_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("via", sa.String(8), nullable=False, server_default="web"),
        sa.Column("detail", sa.JSON),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_username", "audit_log", ["username"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    for stmt in AUDIT_TRIGGERS_POSTGRES if dialect == "postgresql" else AUDIT_TRIGGERS_SQLITE:
        op.execute(stmt)

    op.create_table(
        "call_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer_id", sa.Integer),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("targets", sa.String(64), nullable=False),
        sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("category", sa.String(64)),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_call_reviews_call_id", "call_reviews", ["call_id"])
    op.create_index("ix_call_reviews_reviewed_at", "call_reviews", ["reviewed_at"])

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window", sa.Integer, primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )

    op.create_table(
        "call_stats_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("platform", sa.String(8), primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("emergencies", sa.Integer, nullable=False, server_default="0"),
        sa.Column("to_other_platform", sa.Integer, nullable=False, server_default="0"),
        sa.Column("handovers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("handovers_ok", sa.Integer, nullable=False, server_default="0"),
        sa.Column("figures", sa.JSON, nullable=False),
    )
    op.create_table(
        "stats_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rolled_at", UTCDateTime()),
        sa.Column("zone", sa.String(64)),
    )
    op.bulk_insert(sa.table("stats_state", sa.column("id", sa.Integer)), [{"id": 1}])  # no figures yet


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.drop_table("stats_state")
    op.drop_table("call_stats_daily")
    op.drop_table("login_throttle")
    op.drop_table("call_reviews")
    op.drop_table("audit_log")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("api_token_hash", sa.String(128)))
        b.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("locked_until", sa.DateTime))
        b.create_index("ix_users_api_token_hash", ["api_token_hash"])
        b.drop_column("last_login_at")
        b.drop_column("session_version")
        b.drop_column("disabled")
        b.drop_column("scope")
    op.drop_table("api_tokens")  # tokens cannot go back to one unexpiring hash per user
    for name in PLATFORM_INDEXES:
        op.drop_index(name, "calls")
    op.drop_index("ix_calls_caller", "calls")
    op.drop_index("ix_calls_updated_at", "calls")
    with op.batch_alter_table("calls") as b:
        b.drop_column("updated_at")
    if dialect == "postgresql":
        for table, cols in TIMESTAMPS.items():
            for col in cols:
                op.execute(f"ALTER TABLE {table} ALTER COLUMN {col} TYPE timestamp USING {col} AT TIME ZONE 'UTC'")
