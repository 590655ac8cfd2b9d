"""Attachments held by the platform, purchases of paid messages, and each conversation's feed of
committed changes (Server-Sent Events resume from it).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from settle_kit.idempotency import create_idempotency_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_idempotency_table()
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("uploader_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        # Set once, when a message takes it: an attachment is used in one message only.
        sa.Column("message_id", sa.String(40), sa.ForeignKey("messages.id")),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_table(
        "message_purchases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("message_id", sa.String(40), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("checkout_url", sa.Text),
        sa.Column("checkout_session_id", sa.String(255)),
        sa.Column("payment_id", sa.String(40)),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("completed_at", ts),
        sa.Column("refunded_at", ts),
        sa.CheckConstraint("method IN ('card', 'credits')", name="ck_message_purchases_method"),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'failed', 'expired', 'refunded')", name="ck_message_purchases_status"
        ),
    )
    # Never paid twice: one open or completed purchase per (message, buyer), whatever races.
    op.create_index(
        "uq_message_purchases_live", "message_purchases", ["message_id", "buyer_id"], unique=True,
        postgresql_where=sa.text("status IN ('pending', 'completed')"),
    )
    op.create_index("ix_message_purchases_buyer", "message_purchases", ["buyer_id", sa.text("created_at DESC")])
    op.create_index("ix_message_purchases_seller", "message_purchases", ["seller_id", sa.text("created_at DESC")])
    op.add_column("message_unlocks", sa.Column("purchase_id", sa.String(40)))
    # Each conversation's committed changes, numbered without gaps: the row lock on the
    # conversation (taken to number one) orders the numbers as their transactions commit.
    op.add_column("conversations", sa.Column("event_seq", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "conversation_events",
        sa.Column("conversation_id", sa.String(40), sa.ForeignKey("conversations.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        # Only this user sees the event (an unlock, a revocation); NULL: every participant.
        sa.Column("audience", sa.String(64)),
        sa.Column("created_at", ts, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("conversation_events")
    op.drop_column("conversations", "event_seq")
    op.drop_column("message_unlocks", "purchase_id")
    op.drop_table("message_purchases")
    op.drop_table("attachments")
    op.drop_table("idempotency_keys")
