"""The payout engine pays every kind of earning: besides completed bookings (whose payout state
stays on the booking), earnings from other contexts, such as sales of paid messages, each its
own row with the same payout columns.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "earnings",
        # The source's own id (a message purchase): one earning per sale, however often announced.
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("source_type", sa.String(20), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        # Billing's payment that funds the transfer; NULL for a sale paid in credits.
        sa.Column("payment_id", sa.String(40)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("fee_bps", sa.Integer, nullable=False),
        sa.Column("platform_fee", sa.BigInteger, nullable=False),
        sa.Column("earning", sa.BigInteger, nullable=False),
        sa.Column("amount_refunded", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("payout_status", sa.String(20), nullable=False),
        sa.Column("payout_amount", sa.BigInteger),
        sa.Column("payout_reversed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("transfer_id", sa.String(40)),
        sa.Column("payout_claimed_until", ts),
        sa.Column("earned_at", ts, nullable=False),
        sa.Column("paid_out_at", ts),
        sa.CheckConstraint("price = platform_fee + earning", name="ck_earnings_split"),
        sa.CheckConstraint("payout_status IN ('pending', 'paid', 'void')", name="ck_earnings_payout_status"),
    )
    op.create_index("ix_earnings_payee_status", "earnings", ["payee_id", "payout_status"])


def downgrade() -> None:
    op.drop_table("earnings")
