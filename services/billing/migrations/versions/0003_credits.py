"""Prepaid credits: packages (seeded), purchases, and the double-entry ledger.

Revision ID: 0003
Revises: 0002
"""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)
CREDITS = sa.Numeric(18, 6)
PLATFORM_ACCOUNTS = ("platform:issued", "platform:spent", "platform:adjustments")


def upgrade() -> None:
    packages = op.create_table(
        "credit_packages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("credits", CREDITS, nullable=False),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.CheckConstraint("price_amount > 0", name="ck_credit_packages_price_positive"),
        sa.CheckConstraint("credits > 0", name="ck_credit_packages_credits_positive"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        packages,
        [
            {"id": f"cpk_{name.lower()}", "name": name, "description": f"{credits} credits", "price_amount": price,
             "price_currency": "usd", "credits": Decimal(credits), "sort_order": order, "is_active": True,
             "created_at": now, "updated_at": now}
            for order, (name, price, credits) in enumerate((("Small", 500, 5), ("Medium", 1500, 15), ("Large", 3000, 30)), 1)
        ],
    )
    op.create_table(
        "credit_purchases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("package_id", sa.String(40), sa.ForeignKey("credit_packages.id"), nullable=False),
        sa.Column("payment_id", sa.String(40), sa.ForeignKey("payments.id"), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("credits", CREDITS, nullable=False),
        sa.Column("granted_at", ts),
        sa.Column("credits_clawed_back", CREDITS, nullable=False, server_default="0"),
        sa.Column("credits_written_off", CREDITS, nullable=False, server_default="0"),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index("ix_credit_purchases_buyer_id", "credit_purchases", ["buyer_id"])
    accounts = op.create_table(
        "credit_accounts",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(64), unique=True),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("balance", CREDITS),
        sa.Column("updated_at", ts, nullable=False),
        sa.CheckConstraint("kind IN ('wallet', 'platform')", name="ck_credit_accounts_kind"),
        # The last line of defence against an overdraft, whatever the code above it does.
        sa.CheckConstraint("kind <> 'wallet' OR (balance IS NOT NULL AND balance >= 0)", name="ck_credit_accounts_wallet_not_negative"),
    )
    op.bulk_insert(accounts, [{"id": a, "kind": "platform", "currency": "credits", "updated_at": now} for a in PLATFORM_ACCOUNTS])
    op.create_table(
        "credit_transactions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("reference_type", sa.String(40)),
        sa.Column("reference_id", sa.String(64)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.CheckConstraint("type IN ('credit', 'debit', 'adjustment', 'refund')", name="ck_credit_transactions_type"),
    )
    # One grant per purchase, one debit per (reference_type, reference_id), one clawback per refund.
    op.create_index(
        "uq_credit_transactions_reference",
        "credit_transactions",
        ["type", "reference_type", "reference_id"],
        unique=True,
        postgresql_where=sa.text("reference_id IS NOT NULL"),
    )
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("transaction_id", sa.String(40), sa.ForeignKey("credit_transactions.id"), nullable=False, index=True),
        sa.Column("account_id", sa.String(80), sa.ForeignKey("credit_accounts.id"), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("amount", CREDITS, nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("balance_before", CREDITS),
        sa.Column("balance_after", CREDITS),
        sa.Column("created_at", ts, nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_credit_entries_amount_not_zero"),
        sa.CheckConstraint(
            "balance_before IS NULL OR balance_after = balance_before + amount", name="ck_credit_entries_balance_follows"
        ),
    )
    op.create_index(
        "ix_credit_entries_user_created",
        "credit_entries",
        ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.execute(
        """
        CREATE FUNCTION credit_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the credit ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    for table in ("credit_entries", "credit_transactions"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION credit_ledger_immutable()"
        )


def downgrade() -> None:
    for table in ("credit_entries", "credit_transactions", "credit_accounts", "credit_purchases", "credit_packages"):
        op.drop_table(table)
    op.execute("DROP FUNCTION credit_ledger_immutable()")
