"""Spending credits (`POST /v1/balance/debits`): the common case in one statement.

A debit is the platform's hottest write: a service spends a user's credits once per use. The
common case (a new reference, a new or absent Idempotency-Key, a wallet that covers it) is one
statement committed as it runs, so a hot wallet's row lock is held for no round trip and the
request costs one call to the database. Everything else (a short wallet, a repeated reference
or key, a conflict) takes the general path (`wallets.debit` inside a unit of work), which tells
a replay from a conflict from a 402 exactly as before: the statement either does all of the
work or none of it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from settle_contracts import billing as events
from settle_kit import idempotency
from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork, outbox_row
from settle_kit.db import Database, Statement
from settle_kit.models import new_id, utcnow

from billing.credits import ledger, wallets
from billing.credits.models import CREDIT_UNIT
from billing.credits.schemas import DebitCreate, EntryOut

OPERATION = "POST /v1/balance/debits"
PRODUCER = "billing"

# The wallet moves first; every other write selects FROM its new balance, so a short wallet
# (no row) writes nothing. A reference or an Idempotency-Key used before breaks a unique index,
# which undoes the whole statement. Balances in the stored response and the event are the
# database's, written into the JSON prepared by the caller.
_DEBIT = Statement("""
WITH w AS (
    UPDATE credit_accounts SET balance = balance - :amount, updated_at = :now
    WHERE id = :wallet AND balance >= :amount
    RETURNING balance
), tx AS (
    INSERT INTO credit_transactions (id, type, description, reference_type, reference_id, created_by, created_at)
    SELECT :transaction_id, 'debit', :description, :reference_type, :reference_id, :created_by, :now FROM w
    RETURNING id
), postings AS (
    INSERT INTO credit_entries (id, transaction_id, account_id, user_id, amount, currency, balance_before, balance_after, created_at)
    SELECT :wallet_entry_id, tx.id, :wallet, :user_id, -:amount, :unit, w.balance + :amount, w.balance, :now FROM tx, w
    UNION ALL
    SELECT :counter_entry_id, tx.id, :counter_account, NULL, :amount, :unit, NULL, NULL, :now FROM tx, w
), idempotency_key AS (
    INSERT INTO idempotency_keys (principal, key, operation, request_hash, status_code, response)
    SELECT :principal, :key, :operation, :request_hash, 201,
           jsonb_set(jsonb_set(CAST(:response AS jsonb),
                               '{balance_before}', to_jsonb(CAST(CAST(w.balance + :amount AS numeric(18, 6)) AS text))),
                     '{balance_after}', to_jsonb(CAST(w.balance AS text)))
    FROM w WHERE CAST(:key AS varchar) IS NOT NULL
), event AS (
    INSERT INTO outbox (id, type, envelope, headers)
    SELECT :event_id, :event_type,
           jsonb_set(CAST(:envelope AS jsonb), '{data,balance_after}', to_jsonb(CAST(w.balance AS text))),
           CAST(:headers AS jsonb)
    FROM w
)
SELECT balance FROM w
""")


async def debit(db: Database, caller: Principal, key: str | None, data: DebitCreate) -> EntryOut | JSONResponse:
    entry = await _at_once(db, caller, key, data)
    if entry is not None:
        return entry
    async with UnitOfWork(db, PRODUCER) as uow:
        request = await idempotency.begin(uow, caller, key, OPERATION, data)
        if request.replay:
            return request.replay
        out = EntryOut.model_validate(await wallets.debit(uow, caller, data))
        return await request.respond(201, out)


async def _at_once(db: Database, caller: Principal, key: str | None, data: DebitCreate) -> EntryOut | None:
    """The debit as one statement; None when it did nothing and the general path must decide."""
    now, transaction_id, entry_id = utcnow(), new_id("ctx"), new_id("cre")
    # Balances are placeholders until the statement writes the wallet's.
    entry = EntryOut(
        id=entry_id, user_id=data.user_id, amount=-data.amount, balance_before=Decimal(0), balance_after=Decimal(0),
        type="debit", description=data.description, reference_type=data.reference_type, reference_id=data.reference_id,
        created_at=now,
    )
    movement = ledger.Movement(transaction_id=transaction_id, **entry.model_dump())
    _, outbox = outbox_row(events.CreditsDebited(**ledger.event_fields(movement)), PRODUCER)
    params: dict[str, Any] = {
        "amount": data.amount, "now": now, "wallet": ledger.wallet_id(data.user_id), "user_id": data.user_id,
        "transaction_id": transaction_id, "description": data.description, "reference_type": data.reference_type,
        "reference_id": data.reference_id, "created_by": caller.user_id, "wallet_entry_id": entry_id,
        "counter_entry_id": new_id("cre"), "counter_account": ledger.SPENT, "unit": CREDIT_UNIT,
        "principal": caller.user_id, "key": key, "operation": OPERATION,
        "request_hash": idempotency.fingerprint(OPERATION, data) if key is not None else None,
        "response": json.dumps(jsonable_encoder(entry)),
        "event_id": outbox["id"], "event_type": outbox["type"], "envelope": json.dumps(outbox["envelope"]),
        "headers": json.dumps(outbox["headers"]),
    }
    try:
        async with db.autocommit() as conn:
            row = await _DEBIT.fetchrow(conn, **params)
    except asyncpg.UniqueViolationError:
        return None  # a repeated reference or key: a replay or a conflict
    if row is None:
        return None  # a short (or absent) wallet, unless this reference was debited before
    db.outbox_written.set()
    balance_after: Decimal = row["balance"]
    return entry.model_copy(update={"balance_before": balance_after + data.amount, "balance_after": balance_after})
