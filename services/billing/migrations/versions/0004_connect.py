"""Stripe Connect: payout accounts, transfers and their reversals; deferred Stripe tasks.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payout_accounts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("stripe_account_id", sa.String(255), unique=True),
        sa.Column("payouts_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("charges_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("details_submitted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("reference_type", sa.String(40), nullable=False),
        sa.Column("reference_id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id"), nullable=False, index=True),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("destination", sa.String(255), nullable=False),
        sa.Column("transfer_group", sa.String(255), nullable=False),
        sa.Column("gross_amount", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("amount_reversed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stripe_transfer_id", sa.String(255), unique=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        # One transfer per thing paid for, however often or concurrently it is asked for.
        sa.UniqueConstraint("reference_type", "reference_id", name="uq_transfers_reference"),
        sa.CheckConstraint("amount >= 0 AND amount <= gross_amount", name="amount_within_gross"),
        sa.CheckConstraint("amount_reversed >= 0 AND amount_reversed <= amount", name="reversed_within_amount"),
        sa.CheckConstraint("status IN ('paid', 'void')", name="status"),
    )
    op.create_table(
        "transfer_reversals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("transfer_id", sa.String(40), sa.ForeignKey("transfers.id"), nullable=False, index=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("stripe_reversal_id", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )
    op.create_table(
        "stripe_tasks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("payment_id", sa.String(40)),
        sa.Column("transfer_id", sa.String(40)),
        sa.Column("amount", sa.BigInteger),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(60)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("done_at", ts),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    )
    op.create_index("ix_stripe_tasks_due", "stripe_tasks", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_stripe_tasks_due", "stripe_tasks")
    for table in ("stripe_tasks", "transfer_reversals", "transfers", "payout_accounts"):
        op.drop_table(table)
