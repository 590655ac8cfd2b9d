"""Stripe calls outside database transactions: what is decided before Stripe answers.

- A payment whose PaymentIntent is still being created has no `stripe_payment_intent_id` yet
  (status `requires_payment`); the partial index finds such rows cheaply.
- A refund is `pending` with no `stripe_refund_id` until Stripe took it; its amount is reserved
  meanwhile. One refused by Stripe is `failed`, with Stripe's reason.
- A transfer is `pending` with no `stripe_transfer_id` until Stripe made it.
- A transfer reversal is a claim row, without its `stripe_reversal_id` while Stripe makes it: one
  reversal of a transfer in flight at a time, so concurrent refunds never reverse too much.

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
    op.add_column("refunds", sa.Column("failure_code", sa.String(64)))
    op.add_column("refunds", sa.Column("failure_message", sa.Text))
    op.create_index(
        "ix_payments_awaiting_intent", "payments", ["created_at"],
        postgresql_where=sa.text("stripe_payment_intent_id IS NULL AND status = 'requires_payment'"),
    )
    op.create_index("ix_refunds_unsent", "refunds", ["payment_id"], postgresql_where=sa.text("stripe_refund_id IS NULL"))
    op.alter_column("transfer_reversals", "stripe_reversal_id", nullable=True)
    op.drop_constraint("status", "transfers", type_="check")
    op.create_check_constraint("status", "transfers", "status IN ('pending', 'paid', 'void')")


def downgrade() -> None:
    op.execute("DELETE FROM transfer_reversals WHERE stripe_reversal_id IS NULL")
    op.alter_column("transfer_reversals", "stripe_reversal_id", nullable=False)
    op.drop_constraint("status", "transfers", type_="check")
    op.create_check_constraint("status", "transfers", "status IN ('paid', 'void')")
    op.drop_index("ix_refunds_unsent", "refunds")
    op.drop_index("ix_payments_awaiting_intent", "payments")
    op.drop_column("refunds", "failure_message")
    op.drop_column("refunds", "failure_code")
