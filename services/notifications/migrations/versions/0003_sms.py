"""Contacts, opt-outs, texts, the sender's queue and inbound texts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SMS_STATUSES = "status IN ('queued', 'deferred', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed')"


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("display_name", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_contacts_phone", "contacts", ["phone"])
    op.create_table(
        "opt_outs",
        sa.Column("phone", sa.String(20), primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sms",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("to_phone", sa.String(40)),
        sa.Column("to_user_id", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error_message", sa.Text),
        sa.Column("requested_by", sa.String(64)),
        sa.Column("reference_type", sa.String(64)),
        sa.Column("reference_id", sa.String(128)),
        sa.Column("twilio_sid", sa.String(40), unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deferred_until", TS),
        sa.Column("attempt_started_at", TS),
        sa.Column("unconfirmed_since", TS),
        sa.Column("sent_at", TS),
        sa.Column("delivered_at", TS),
        sa.CheckConstraint(SMS_STATUSES, name="status"),
    )
    op.create_index("ix_sms_requested_by", "sms", ["requested_by", "created_at", "id"])
    op.create_index("ix_sms_to_phone_sent", "sms", ["to_phone", "sent_at"], postgresql_where=sa.text("sent_at IS NOT NULL"))
    op.create_table(
        "sms_sends",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
        sa.Column("done_at", TS),
        sa.Column("outcome", sa.String(40)),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="status"),
    )
    op.create_index("ix_sms_sends_due", "sms_sends", ["next_attempt_at"], postgresql_where=sa.text("status IN ('pending', 'running')"))
    op.create_table(
        "inbound_sms",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("from_phone", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("keyword", sa.String(10)),
        sa.Column("in_reply_to", sa.String(40)),
        sa.Column("received_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("inbound_sms", "sms_sends", "sms", "opt_outs", "contacts"):
        op.drop_table(table)
