"""Merge point: the work orders (0003_orders) and the call journal (0005) both follow 0002.

Revision ID: merge_orders_journal
Revises: 0003_orders, 0005
Create Date: 2026-12-01
"""

revision = "merge_orders_journal"
down_revision = ("0003_orders", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
