"""Payments, refunds, stored Stripe events, idempotency keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from settle_kit.idempotency import create_idempotency_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_idempotency_table()
    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("payee_id", sa.String(64)),
        sa.Column("project_id", sa.String(40)),
        sa.Column("conversation_id", sa.String(40)),
        sa.Column("description", sa.Text),
        sa.Column("reference_type", sa.String(40)),
        sa.Column("reference_id", sa.String(64)),
        sa.Column("stripe_payment_intent_id", sa.String(255), unique=True),
        sa.Column("client_secret", sa.String(255)),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("failure_message", sa.Text),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("succeeded_at", ts),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
        sa.CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount", name="ck_payments_refund_within_amount"),
    )
    op.create_index("ix_payments_payer_created", "payments", ["payer_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_payments_payee_created", "payments", ["payee_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_payments_open", "payments", ["created_at"], postgresql_where=sa.text("status IN ('requires_payment', 'processing')"))
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id"), nullable=False, index=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stripe_refund_id", sa.String(255), unique=True),
        sa.Column("requested_by", sa.String(64)),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", ts, nullable=False),
        sa.Column("processed_at", ts),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_stripe_events_due", "stripe_events", ["next_attempt_at"], postgresql_where=sa.text("processed_at IS NULL"))


def downgrade() -> None:
    for table in ("stripe_events", "refunds", "payments", "idempotency_keys"):
        op.drop_table(table)
