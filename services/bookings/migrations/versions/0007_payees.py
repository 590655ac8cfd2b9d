"""Payout accounts belong to payees, not only experts: anyone who earns (an expert, a seller of
paid messages) opens one, and the payout engine reads `payees` for whom it may pay.

Experts' accounts are copied over. The experts' columns that held them are left in place, no
longer read or written: during a rolling deploy the previous release still reads and writes them
after this step has run, and dropping them would fail its requests. A later step drops them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payees",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("payout_account_id", sa.String(255), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean, nullable=False),
        # Billing's time of the report held (the newest wins), not this row's.
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("""
        INSERT INTO payees (user_id, payout_account_id, payouts_enabled, updated_at)
        SELECT id, payout_account_id, payouts_enabled, COALESCE(payout_account_updated_at, updated_at)
        FROM experts WHERE payout_account_id IS NOT NULL
    """)


def downgrade() -> None:
    # The previous release knows experts' accounts only; other payees' wait for the upgrade again.
    op.execute("""
        UPDATE experts SET payout_account_id = p.payout_account_id, payouts_enabled = p.payouts_enabled,
                           payout_account_updated_at = p.updated_at
        FROM payees p WHERE p.user_id = experts.id
    """)
    op.drop_table("payees")
