"""A payout run claims a booking for a while (a lease) instead of holding its row lock across
billing's call.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("payout_claimed_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("bookings", "payout_claimed_until")
