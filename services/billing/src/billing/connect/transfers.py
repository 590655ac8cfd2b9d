"""Transfers to payees' Connect accounts, and their reversal when the payment is refunded.

The rule, in integers: a payee is owed `gross - prorate(gross, amount_refunded, payment.amount)`,
their share of what is left of the payment. A transfer sends what is owed when it is made (refunds
made before it already took their share); a refund after it reverses the difference between what
was sent and what is owed now. A full refund therefore reverses the whole transfer, and any
sequence of partial refunds ends where one refund of the same total would.

The payment row is the lock both paths take, for short transactions only (never across a Stripe
call): a transfer is decided (`pending`) under it, and recorded as made under it again; a refund
is recorded under it. Either the made transfer sees the refund and asks for its reversal, or the
refund sees the transfer paid and asks for it.
"""

from __future__ import annotations

import stripe

from settle_contracts import billing as events
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.errors import Conflict, NotFound, ProblemError, ServiceUnavailable, Unprocessable
from settle_kit.models import new_id, stable_id
from settle_kit.money import prorate

from billing import stripe_api
from billing.connect.models import Transfer, TransferReversal
from billing.connect.repository import ConnectRepository
from billing.connect.schemas import TransferCreate
from billing.credits import ledger
from billing.payments import states
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository
from billing.stripe_tasks import queue
from billing.stripe_tasks.models import StripeTask

SETTLED = (states.SUCCEEDED, states.PARTIALLY_REFUNDED, states.REFUNDED)


def owed(gross: int, amount_refunded: int, payment_amount: int) -> int:
    """What a payee with `gross` of a payment is owed once `amount_refunded` of it went back."""
    return gross - prorate(gross, min(amount_refunded, payment_amount), payment_amount)


def reversal_due(transfer_amount: int, amount_reversed: int, still_owed: int) -> int:
    return max(transfer_amount - amount_reversed - still_owed, 0)


def transfer_id_for(reference_type: str, reference_id: str) -> str:
    return stable_id("trf", reference_type, reference_id)


async def transfer(uow: UnitOfWork, client: stripe.StripeClient, data: TransferCreate) -> Transfer:
    """The one transfer for `data`'s reference: decided now (committed, `pending`) and made at
    Stripe, or the one decided before (finished now if it is still pending)."""
    repository = ConnectRepository(uow.session)
    if data.payment_id is None:
        return await _from_credits(uow, client, data)
    # The payment's row lock, for this short transaction only: the transfer's amount is decided
    # from the refunds recorded so far; refunds recorded later are reversed after it is made.
    payment = await PaymentRepository(uow.session).get(data.payment_id, for_update=True)
    if payment is None or payment.reference_type != data.reference_type or payment.reference_id != data.reference_id:
        raise NotFound("No such payment for this reference.", code="payment_not_found")
    record = await repository.transfer_for(data.reference_type, data.reference_id)
    if record is None:
        record = await _decide(uow, client, payment, data)
    await uow.commit()
    if record.status != "pending":
        return record
    return await send(uow, client, record)


async def _decide(uow: UnitOfWork, client: stripe.StripeClient, payment: Payment, data: TransferCreate) -> Transfer:
    if payment.payee_id != data.payee_id or payment.currency != data.currency or data.amount > payment.amount:
        raise Unprocessable("The transfer does not match the payment's payee, currency or amount.", code="transfer_mismatch", field="amount")
    if payment.status not in SETTLED:
        raise Conflict(f"A {payment.status} payment has no money to transfer.", code="payment_not_settled")
    repository = ConnectRepository(uow.session)
    account = await _payout_account(repository, data.payee_id)
    record = Transfer(
        id=transfer_id_for(data.reference_type, data.reference_id),
        reference_type=data.reference_type,
        reference_id=data.reference_id,
        payment_id=payment.id,
        payee_id=data.payee_id,
        destination=account.stripe_account_id,
        transfer_group=data.reference_id,
        gross_amount=data.amount,
        amount=owed(data.amount, payment.amount_refunded, payment.amount),
        amount_reversed=0,
        currency=payment.currency,
        status="void",
    )
    if record.amount > 0:
        record.status = "pending"
        await queue.enqueue(
            uow, id=record.id, kind=queue.MAKE_TRANSFER, requested_by="billing", payment_id=payment.id, transfer_id=record.id,
            not_before=stripe_api.handover_at(client),
        )
    repository.add(record)
    await uow.session.flush()
    return record


async def _payout_account(repository: ConnectRepository, payee_id: str):
    account = await repository.account(payee_id)
    if account is None or account.stripe_account_id is None:
        raise Conflict("The payee has no payout account.", code="payout_account_missing")
    if not account.payouts_enabled:
        raise Conflict("The payee's payout account cannot receive payouts yet.", code="payouts_not_enabled")
    return account


# A sale paid in credits has no card payment behind it: the buyer's credits were bought (and paid
# for) earlier, so its transfer comes from the platform's balance, funded by the debit the sale
# made (1 credit = 1.00 USD); the refund of that debit takes the payee's share back.
CREDIT_FUNDED = ("message_purchase",)


async def _from_credits(uow: UnitOfWork, client: stripe.StripeClient, data: TransferCreate) -> Transfer:
    repository = ConnectRepository(uow.session)
    record = await repository.transfer_for(data.reference_type, data.reference_id)
    if record is None:
        debit = await ledger.existing(uow.session, "debit", data.reference_type, data.reference_id)
        if data.reference_type not in CREDIT_FUNDED or debit is None:
            raise NotFound("No payment or credits debit for this reference.", code="payment_not_found")
        if data.currency != "usd" or data.amount > int(-debit.amount * 100):
            raise Unprocessable("The transfer is more than the credits spent.", code="transfer_mismatch", field="amount")
        account = await _payout_account(repository, data.payee_id)
        refunded = await _credits_refunded(uow, data.reference_type, data.reference_id)
        record = Transfer(
            id=transfer_id_for(data.reference_type, data.reference_id), reference_type=data.reference_type,
            reference_id=data.reference_id, payment_id=None, payee_id=data.payee_id, destination=account.stripe_account_id,
            transfer_group=data.reference_id, gross_amount=data.amount, amount=0 if refunded else data.amount, amount_reversed=0,
            currency=data.currency, status="void" if refunded else "pending",
        )
        repository.add(record)
        await uow.session.flush()
        if record.status == "pending":
            await queue.enqueue(uow, id=record.id, kind=queue.MAKE_TRANSFER, requested_by="billing", transfer_id=record.id,
                                not_before=stripe_api.handover_at(client))
    await uow.commit()
    return record if record.status != "pending" else await send(uow, client, record)


async def _credits_refunded(uow: UnitOfWork, reference_type: str, reference_id: str) -> bool:
    return await ledger.existing(uow.session, "refund", reference_type, reference_id) is not None


async def _owed_now(uow: UnitOfWork, record: Transfer, payment: Payment | None) -> int:
    """What the payee is owed now: their share of what is left of the payment, or for a sale paid
    in credits all of it unless the credits went back."""
    if payment is None:
        return 0 if await _credits_refunded(uow, record.reference_type, record.reference_id) else record.gross_amount
    return owed(record.gross_amount, payment.amount_refunded, payment.amount)


async def on_credits_refunded(uow: UnitOfWork, reference_type: str, reference_id: str) -> None:
    """In the transaction that gives a sale's credits back: a payout made for it is reversed."""
    record = await ConnectRepository(uow.session).transfer_for(reference_type, reference_id)
    if record is not None and record.status == "paid":
        await _ask_reversal(uow, None, record.id, stable_id("trv", "credits-refund", record.id))


async def send(uow: UnitOfWork, client: stripe.StripeClient, record: Transfer) -> Transfer:
    """Makes a pending transfer at Stripe (no transaction open) and records it, flushed for the
    caller to commit. Stripe unreachable: 503, and the background makes it. Stripe refusing it:
    the pending transfer is dropped (committed), so a later payout run may try again."""
    if record.status != "pending":
        return record
    payment = await PaymentRepository(uow.session).get(record.payment_id) if record.payment_id else None
    await uow.commit()
    try:
        # Funded by this payment's charge: Stripe sends it when that money is available.
        charge = await _charge_of(client, payment) if payment is not None else None
        stripe_transfer = await client.v1.transfers.create_async(
            params={
                "amount": record.amount,
                "currency": record.currency,
                "destination": record.destination,
                "transfer_group": record.transfer_group,
                **({"source_transaction": charge} if charge else {}),
                "metadata": {"transfer_id": record.id, "payment_id": record.payment_id or "", record.reference_type + "_id": record.reference_id},
            },
            options={"idempotency_key": f"settle-transfer-{record.id}"},
        )
    except (stripe.StripeError, ServiceUnavailable) as exc:
        if stripe_api.is_transient(exc):
            raise stripe_api.unavailable(exc) from exc
        pending = await ConnectRepository(uow.session).transfer(record.id, for_update=True)
        if pending is not None and pending.status == "pending":
            await uow.session.delete(pending)
        await uow.commit()
        raise stripe_api.problem(exc) from exc
    # The payment's lock again: refunds recorded since the decision are reversed now, those
    # recorded after this see the transfer paid (on_payment_refunded).
    payment = await PaymentRepository(uow.session).get(record.payment_id, for_update=True) if record.payment_id else None
    record = await ConnectRepository(uow.session).transfer(record.id, for_update=True)
    if record.status == "pending":
        record.stripe_transfer_id, record.status = stripe_transfer.id, "paid"
        await uow.session.flush()
        uow.emit(events.TransferCreated(**_state(record)))
        if reversal_due(record.amount, record.amount_reversed, await _owed_now(uow, record, payment)):
            await _ask_reversal(uow, record.payment_id, record.id, stable_id("trv", "transfer-made", record.id))
    return record


async def send_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Background: makes a pending transfer whose request did not (see `send`)."""
    async with UnitOfWork(db, "billing") as uow:
        record = await ConnectRepository(uow.session).transfer(task.transfer_id)
        await uow.commit()
        if record is None:
            return "no_transfer"
        try:
            record = await send(uow, client, record)
        except ServiceUnavailable:
            raise
        except ProblemError as refused:
            return f"refused_{refused.code}"
        await uow.commit()
        return f"transfer_{record.status}"


async def _charge_of(client: stripe.StripeClient, payment: Payment) -> str | None:
    intent = await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    charge = getattr(intent, "latest_charge", None)
    return charge if isinstance(charge, str) else getattr(charge, "id", None)


async def on_payment_refunded(uow: UnitOfWork, payment: Payment, refund_id: str) -> None:
    """Runs in the transaction that records a refund (payment row locked): if money of this
    payment went on to a payee, ask for the reversal of their share. (A transfer still pending
    looks at the refunds when it is recorded as made.)"""
    paid = await ConnectRepository(uow.session).paid_transfer_of_payment(payment.id)
    if paid is None:
        return
    await _ask_reversal(uow, payment.id, paid.id, stable_id("trv", "refund", refund_id))


async def _ask_reversal(uow: UnitOfWork, payment_id: str | None, transfer_id: str, task_id: str) -> None:
    await queue.enqueue(uow, id=task_id, kind=queue.REVERSE_TRANSFER, requested_by="billing", payment_id=payment_id, transfer_id=transfer_id)


class ReversalInFlight(Exception):
    """Another reversal of the transfer is being made: this one is retried after it."""


async def reverse_for_task(db: Database, client: stripe.StripeClient, task: StripeTask) -> str:
    """Reverses what the transfer sent beyond what the payee is owed now. Decided from the current
    state under a claim (a reversal row without its Stripe id: one in flight per transfer), so
    tasks for several refunds, or one task run twice, never reverse too much."""
    async with UnitOfWork(db, "billing") as uow:
        repository = ConnectRepository(uow.session)
        record = await repository.transfer(task.transfer_id, for_update=True)
        payment = await PaymentRepository(uow.session).get(task.payment_id) if task.payment_id else None
        if record is None or (record.payment_id and payment is None) or record.stripe_transfer_id is None:
            return "no_transfer"
        claim = await repository.reversal_in_flight(record.id)
        if claim is not None and claim.id != task.id:
            raise ReversalInFlight(claim.id)
        if claim is None:
            due = reversal_due(record.amount, record.amount_reversed, await _owed_now(uow, record, payment))
            if due == 0:
                return "nothing_due"
            claim = TransferReversal(id=task.id, transfer_id=record.id, amount=due, stripe_reversal_id=None)
            repository.add(claim)
        await uow.commit()
        target = record.amount_reversed + claim.amount
        reversal = await client.v1.transfers.reversals.create_async(
            record.stripe_transfer_id,
            params={"amount": claim.amount, "metadata": {"transfer_id": record.id, "payment_id": record.payment_id or ""}},
            # Fixed by the total reversed after it: a retry of this step replays, the next step differs.
            options={"idempotency_key": f"settle-transfer-reversal-{record.id}-{target}"},
        )
        record = await repository.transfer(record.id, for_update=True)
        claim = await uow.session.get(TransferReversal, task.id, with_for_update=True, populate_existing=True)
        if claim.stripe_reversal_id is None:
            claim.stripe_reversal_id = reversal.id
            record.amount_reversed += claim.amount
            await uow.session.flush()
            uow.emit(events.TransferReversed(**_state(record), reversal_id=reversal.id, reversal_amount=claim.amount))
        await uow.commit()
        return "reversed"


def _state(record: Transfer) -> dict:
    return {
        "transfer_id": record.id,
        "stripe_transfer_id": record.stripe_transfer_id,
        "payment_id": record.payment_id,
        "payee_id": record.payee_id,
        "destination": record.destination,
        "reference_type": record.reference_type,
        "reference_id": record.reference_id,
        "transfer_group": record.transfer_group,
        "amount": record.amount,
        "amount_reversed": record.amount_reversed,
        "currency": record.currency,
    }
