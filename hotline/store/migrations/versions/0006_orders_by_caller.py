"""An index of the orders by caller number: a call's page lists the caller's earlier orders.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_caller_created", "orders", ["caller_number", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_caller_created", table_name="orders")
