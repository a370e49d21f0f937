"""Journal ids on events (replayed journal entries are not recorded twice), the database's own facts,
and no caller-set test reference on calls.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_events") as b:
        b.add_column(sa.Column("journal_id", sa.String(36)))
        b.create_unique_constraint("uq_call_events_journal_id", ["journal_id"])
    meta = op.create_table(
        "hotline_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    # a database made before this revision counts from its first call
    first = op.get_bind().execute(sa.text("SELECT MIN(started_at) FROM calls")).scalar()
    if isinstance(first, str):
        first = datetime.fromisoformat(first)
    created = first or datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(meta, [{"key": "created_at", "value": created.isoformat()}])
    with op.batch_alter_table("calls") as b:
        b.drop_index("ix_calls_client_ref")
        b.drop_column("client_ref")


def downgrade() -> None:
    with op.batch_alter_table("calls") as b:
        b.add_column(sa.Column("client_ref", sa.String(64)))
        b.create_index("ix_calls_client_ref", ["client_ref"])
    op.drop_table("hotline_meta")
    with op.batch_alter_table("call_events") as b:
        b.drop_constraint("uq_call_events_journal_id", type_="unique")
        b.drop_column("journal_id")
