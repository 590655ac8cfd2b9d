"""Messages (text, paid, system receipts) and the buyers of paid messages.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("conversation_id", sa.String(40), sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("price_amount", sa.BigInteger),
        sa.Column("price_currency", sa.String(3)),
        sa.Column("payment_id", sa.String(40)),
        sa.Column("dedupe_key", sa.String(200)),
        sa.Column("created_at", ts, nullable=False),
        sa.CheckConstraint("kind IN ('text', 'system', 'paid')", name="ck_messages_kind"),
        # A price makes a message paid, and only a price does.
        sa.CheckConstraint(
            "(kind = 'paid') = (price_amount IS NOT NULL AND price_currency IS NOT NULL)", name="ck_messages_price_iff_paid"
        ),
        sa.CheckConstraint("price_amount IS NULL OR price_amount > 0", name="ck_messages_price_positive"),
        # One system message per fact (e.g. `payment:<id>:succeeded`), whatever the event ids.
        sa.UniqueConstraint("dedupe_key", name="uq_messages_dedupe_key"),
    )
    op.create_index(
        "ix_messages_conversation_created", "messages", ["conversation_id", sa.text("created_at DESC"), sa.text("id DESC")]
    )
    op.create_table(
        "message_unlocks",
        sa.Column("message_id", sa.String(40), sa.ForeignKey("messages.id"), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("payment_id", sa.String(40)),
        sa.Column("unlocked_at", ts, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("message_unlocks")
    op.drop_table("messages")
