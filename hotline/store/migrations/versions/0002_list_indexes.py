"""Composite indexes for the admin's filtered, newest-first call list.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_calls_action_started": ["action", "started_at"],
    "ix_calls_target_started": ["target", "started_at"],
    "ix_calls_emergency_started": ["emergency", "started_at"],
    "ix_calls_outcome_started": ["outcome", "started_at"],
}


def upgrade() -> None:
    for name, cols in INDEXES.items():
        op.create_index(name, "calls", cols)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "calls")
