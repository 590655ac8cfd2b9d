"""Invoices and payment links (issue 14): invoices numbered per issuer, their links, the Checkout
Sessions opened for a link's visits, and reminders (one per level per invoice, by constraint, so
however often the scheduler runs a level is sent at most once). An invoice's payments are
billing's payments of purpose `invoice` (reference: the invoice), found by a partial index.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("issuer_id", sa.String(64), nullable=False),
        sa.Column("issuer_name", sa.String(100)),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("customer_name", sa.String(100), nullable=False),
        sa.Column("customer_phone", sa.String(20), nullable=False),
        sa.Column("customer_email", sa.String(254)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("total_amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("overdue_from", ts),
        sa.Column("job_id", sa.String(64)),
        sa.Column("reminders", sa.Boolean, nullable=False),
        # When the scheduler should next look at the invoice (the next reminder level's start).
        sa.Column("next_reminder_at", ts),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("paid_at", ts),
        sa.Column("cancelled_at", ts),
        sa.UniqueConstraint("issuer_id", "number", name="uq_invoices_issuer_number"),
        sa.CheckConstraint("total_amount > 0", name="ck_invoices_total_positive"),
        sa.CheckConstraint("status IN ('pending', 'partial', 'paid', 'cancelled', 'refunded')", name="ck_invoices_status"),
    )
    op.create_index("ix_invoices_issuer_created", "invoices", ["issuer_id", "created_at"])
    op.create_index("ix_invoices_job_id", "invoices", ["job_id"])
    op.create_index("ix_invoices_status", "invoices", ["status"])
    op.create_index(
        "ix_invoices_next_reminder", "invoices", ["next_reminder_at"], postgresql_where=sa.text("reminders AND status IN ('pending', 'partial')")
    )
    op.create_table(
        "invoice_counters",
        sa.Column("issuer_id", sa.String(64), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "payment_links",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("invoice_id", sa.String(40), sa.ForeignKey("invoices.id"), nullable=False, index=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("percent", sa.Integer),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("expires_at", ts, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("sent_at", ts),
        sa.Column("opened_at", ts),
        sa.Column("paid_at", ts),
        sa.CheckConstraint("amount > 0", name="ck_payment_links_amount_positive"),
        sa.CheckConstraint("type IN ('deposit', 'progress', 'final', 'full')", name="ck_payment_links_type"),
        sa.CheckConstraint("status IN ('open', 'paid', 'cancelled')", name="ck_payment_links_status"),
    )
    op.create_table(
        "payment_link_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("link_id", sa.String(40), sa.ForeignKey("payment_links.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("stripe_session_id", sa.String(255), unique=True),
        sa.Column("payment_id", sa.String(40), unique=True),
        sa.Column("url", sa.Text),
        sa.Column("expires_at", ts),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("link_id", "seq", name="uq_payment_link_sessions_link_seq"),
    )
    op.create_table(
        "invoice_reminders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("invoice_id", sa.String(40), sa.ForeignKey("invoices.id"), nullable=False, index=True),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("withdrawn_reason", sa.String(40)),
        sa.Column("decided_at", ts, nullable=False),
        sa.Column("send_after", ts, nullable=False),
        sa.Column("sent_at", ts),
        sa.Column("body", sa.Text),
        sa.Column("link_id", sa.String(40)),
        sa.Column("sms_id", sa.String(40), unique=True),
        sa.Column("sms_status", sa.String(12)),
        sa.Column("reply", sa.Text),
        sa.Column("replied_at", ts),
        # A level at most once per invoice, however often (or on however many replicas) the scheduler runs.
        sa.UniqueConstraint("invoice_id", "level", name="uq_invoice_reminders_invoice_level"),
    )
    op.create_index("ix_invoice_reminders_scheduled", "invoice_reminders", ["send_after"], postgresql_where=sa.text("status = 'scheduled'"))
    op.create_index("ix_payments_invoice", "payments", ["reference_id"], postgresql_where=sa.text("purpose = 'invoice'"))


def downgrade() -> None:
    op.drop_index("ix_payments_invoice", "payments")
    op.drop_table("invoice_reminders")
    op.drop_table("payment_link_sessions")
    op.drop_table("payment_links")
    op.drop_table("invoice_counters")
    op.drop_table("invoices")
