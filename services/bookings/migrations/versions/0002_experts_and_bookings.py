"""Experts, bookings (no overlapping slots, enforced here), idempotency keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from settle_kit.idempotency import create_idempotency_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_idempotency_table()
    op.create_table(
        "experts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("rate_amount", sa.BigInteger, nullable=False),
        sa.Column("rate_currency", sa.String(3), nullable=False),
        sa.Column("payout_account_id", sa.String(255)),
        sa.Column("payouts_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("payout_account_updated_at", ts),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.CheckConstraint("rate_amount >= 0", name="rate_not_negative"),
    )
    # The exclusion constraint compares expert_id (text) with `=` inside a GiST index.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("start_time", ts, nullable=False),
        sa.Column("end_time", ts, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate_per_minute", sa.BigInteger, nullable=False),
        sa.Column("fee_bps", sa.Integer, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("platform_fee", sa.BigInteger, nullable=False),
        sa.Column("expert_payout", sa.BigInteger, nullable=False),
        sa.Column("payment_id", sa.String(40)),
        sa.Column("client_secret", sa.String(255)),
        sa.Column("hold_expires_at", ts),
        sa.Column("paid_at", ts),
        sa.Column("scheduled_at", ts),
        sa.Column("completed_at", ts),
        sa.Column("completed_by", sa.String(64)),
        sa.Column("cancelled_at", ts),
        sa.Column("cancellation_reason", sa.Text),
        sa.Column("expired_at", ts),
        sa.Column("refund_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("amount_refunded", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("payout_status", sa.String(20)),
        sa.Column("payout_amount", sa.BigInteger),
        sa.Column("payout_reversed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("transfer_id", sa.String(40)),
        sa.Column("paid_out_at", ts),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.CheckConstraint(
            "status IN ('awaiting_payment', 'scheduled', 'completed', 'cancelled_by_requester', 'cancelled_by_expert', 'expired')",
            name="status",
        ),
        sa.CheckConstraint("payout_status IS NULL OR payout_status IN ('pending', 'paid', 'void')", name="payout_status"),
        sa.CheckConstraint("expert_id <> requester_id", name="not_with_oneself"),
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 240 AND duration_minutes % 5 = 0", name="duration"),
        sa.CheckConstraint("end_time = start_time + duration_minutes * interval '1 minute'", name="end_time"),
        sa.CheckConstraint("price >= 0 AND platform_fee >= 0 AND expert_payout >= 0", name="money_not_negative"),
        sa.CheckConstraint("price = platform_fee + expert_payout", name="fee_split"),
        sa.CheckConstraint("refund_amount <= price AND amount_refunded <= price", name="refunds_within_price"),
    )
    # One expert, one session at a time: two requests for overlapping slots cannot both commit,
    # however they interleave. Bookings that no longer hold their slot (cancelled, expired,
    # completed) do not count. Half-open ranges: a session may start when the previous ends.
    op.execute(
        """
        ALTER TABLE bookings ADD CONSTRAINT ex_bookings_expert_slot
        EXCLUDE USING gist (expert_id WITH =, tstzrange(start_time, end_time) WITH &&)
        WHERE (status IN ('awaiting_payment', 'scheduled'))
        """
    )
    op.create_index("ix_bookings_requester_created", "bookings", ["requester_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_bookings_expert_created", "bookings", ["expert_id", sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_bookings_created", "bookings", ["created_at"])
    op.create_index("ix_bookings_unpaid_hold", "bookings", ["hold_expires_at"], postgresql_where=sa.text("status = 'awaiting_payment'"))
    op.create_index("ix_bookings_scheduled_end", "bookings", ["end_time"], postgresql_where=sa.text("status = 'scheduled'"))
    op.create_index("ix_bookings_payout_pending", "bookings", ["expert_id"], postgresql_where=sa.text("payout_status = 'pending'"))


def downgrade() -> None:
    op.drop_table("bookings")
    op.drop_table("experts")
    op.drop_table("idempotency_keys")
