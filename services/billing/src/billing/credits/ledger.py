"""The credit ledger: every movement is one transaction of two postings that sum to zero.

A user's side of a movement is a posting on their wallet with the balance before and after; the
other side is a posting on a platform account. The wallet's running balance is changed by one
conditional UPDATE, so concurrent movements of one wallet queue on its row lock: no lost
update, and a debit that would take the balance below zero matches no row (402) — with the
CHECK constraint on the column as the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from settle_kit.errors import ProblemError
from settle_kit.models import new_id, utcnow

from billing.credits.models import CREDIT_UNIT, CreditAccount, CreditEntry, CreditTransaction

ISSUED = "platform:issued"  # credits sold and not yet spent or taken back come from here
SPENT = "platform:spent"  # credits users spent on the platform's services
ADJUSTMENTS = "platform:adjustments"  # admins' corrections

accounts = CreditAccount.__table__
transactions = CreditTransaction.__table__
entries = CreditEntry.__table__


class InsufficientCredits(ProblemError):
    status = 402
    code = "insufficient_credits"
    title = "Insufficient credits"


@dataclass(frozen=True)
class Movement:
    """What the wallet's owner sees: their posting, with its transaction's description."""

    id: str
    transaction_id: str
    user_id: str
    amount: Decimal
    balance_before: Decimal
    balance_after: Decimal
    type: str
    description: str | None
    reference_type: str | None
    reference_id: str | None
    created_at: datetime


def wallet_id(user_id: str) -> str:
    return f"wallet:{user_id}"


# One statement, one round trip, compiled once: claim the reference, move the wallet, write both
# postings. If the reference is taken nothing else happens; if the wallet is short no postings
# are written and the caller raises (rolling the claim back). Data-modifying CTEs all see one
# snapshot, so each step is chained to the previous one's RETURNING.
_CLAIM = """
    tx AS (
        INSERT INTO credit_transactions (id, type, description, reference_type, reference_id, created_by, created_at)
        VALUES (:transaction_id, :type, :description, :reference_type, :reference_id, :created_by, :now)
        ON CONFLICT (type, reference_type, reference_id) WHERE reference_id IS NOT NULL DO NOTHING
        RETURNING id
    )"""
_POSTINGS = """,
    postings AS (
        INSERT INTO credit_entries (id, transaction_id, account_id, user_id, amount, currency, balance_before, balance_after, created_at)
        SELECT :wallet_entry_id, tx.id, :wallet, :user_id, :amount, :unit, w.balance - :amount, w.balance, :now FROM tx, w
        UNION ALL
        SELECT :counter_entry_id, tx.id, :counter_account, NULL, -:amount, :unit, NULL, NULL, :now FROM tx, w
    )
    SELECT (SELECT id FROM tx) AS transaction_id, (SELECT balance FROM w) AS balance_after"""
# A first credit opens the wallet; later ones add to it.
_CREDIT = text("WITH" + _CLAIM + """,
    w AS (
        INSERT INTO credit_accounts (id, kind, user_id, currency, balance, updated_at)
        SELECT :wallet, 'wallet', :user_id, :unit, :amount, :now FROM tx
        ON CONFLICT (id) DO UPDATE SET balance = credit_accounts.balance + excluded.balance, updated_at = excluded.updated_at
        RETURNING balance
    )""" + _POSTINGS)
_DEBIT = text("WITH" + _CLAIM + """,
    w AS (
        UPDATE credit_accounts SET balance = balance + :amount, updated_at = :now
        WHERE id = :wallet AND balance + :amount >= 0 AND EXISTS (SELECT 1 FROM tx)
        RETURNING balance
    )""" + _POSTINGS)


async def post(
    session: AsyncSession,
    *,
    type: str,
    user_id: str,
    amount: Decimal,
    counter_account: str,
    description: str | None,
    created_by: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> Movement | None:
    """Moves `amount` (signed, as the wallet sees it) between the user's wallet and
    `counter_account`. Returns None when a transaction of this type already holds this
    reference (the movement happened before; `existing()` returns it)."""
    now = utcnow()
    params = {
        "transaction_id": new_id("ctx"), "type": type, "description": description, "reference_type": reference_type,
        "reference_id": reference_id, "created_by": created_by, "now": now, "wallet": wallet_id(user_id), "user_id": user_id,
        "amount": amount, "unit": CREDIT_UNIT, "wallet_entry_id": new_id("cre"), "counter_entry_id": new_id("cre"),
        "counter_account": counter_account,
    }
    row = (await session.execute(_CREDIT if amount > 0 else _DEBIT, params)).one()
    if row.transaction_id is None:
        return None
    if row.balance_after is None:
        raise InsufficientCredits("The balance is too low for this debit.")
    return Movement(
        id=params["wallet_entry_id"], transaction_id=row.transaction_id, user_id=user_id, amount=amount,
        balance_before=row.balance_after - amount, balance_after=row.balance_after, type=type, description=description,
        reference_type=reference_type, reference_id=reference_id, created_at=now,
    )


async def existing(session: AsyncSession, type: str, reference_type: str, reference_id: str) -> Movement | None:
    rows = await session.execute(_movements().where(
        transactions.c.type == type, transactions.c.reference_type == reference_type, transactions.c.reference_id == reference_id
    ))
    row = rows.first()
    return Movement(**row._mapping) if row else None


async def balance(session: AsyncSession, user_id: str, *, for_update: bool = False) -> tuple[Decimal, datetime | None]:
    query = select(accounts.c.balance, accounts.c.updated_at).where(accounts.c.id == wallet_id(user_id))
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return (row.balance, row.updated_at) if row else (Decimal(0), None)


def statement_of(user_id: str):
    """A user's movements, for pagination (newest first)."""
    return _movements().where(entries.c.user_id == user_id)


def _movements():
    return select(
        entries.c.id, entries.c.transaction_id, entries.c.user_id, entries.c.amount, entries.c.balance_before,
        entries.c.balance_after, transactions.c.type, transactions.c.description, transactions.c.reference_type,
        transactions.c.reference_id, entries.c.created_at,
    ).select_from(entries.join(transactions, and_(entries.c.transaction_id == transactions.c.id, entries.c.user_id.is_not(None))))


def event_fields(movement: Movement) -> dict:
    return {
        "user_id": movement.user_id,
        "entry_id": movement.id,
        "transaction_id": movement.transaction_id,
        "amount": movement.amount,
        "balance_after": movement.balance_after,
        "description": movement.description,
        "reference_type": movement.reference_type,
        "reference_id": movement.reference_id,
    }
