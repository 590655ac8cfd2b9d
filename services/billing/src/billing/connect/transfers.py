"""Transfers to payees' Connect accounts, and their reversal when the payment is refunded.

The rule, in integers: a payee is owed `gross - prorate(gross, amount_refunded, payment.amount)`,
their share of what is left of the payment. A transfer sends what is owed when it is made (refunds
made before it already took their share); a refund after it reverses the difference between what
was sent and what is owed now. A full refund therefore reverses the whole transfer, and any
sequence of partial refunds ends where one refund of the same total would.

The payment row is the lock both paths take, so a transfer and a refund of one payment never
interleave: either the transfer sees the refund, or the refund sees the transfer.
"""

from __future__ import annotations

import stripe

from settle_contracts import billing as events
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Conflict, NotFound, Unprocessable
from settle_kit.models import new_id, stable_id
from settle_kit.money import prorate

from billing.connect.models import Transfer, TransferReversal
from billing.connect.repository import ConnectRepository
from billing.connect.schemas import TransferCreate
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
    """The one transfer for `data`'s reference: made now, or the one made before."""
    repository = ConnectRepository(uow.session)
    payment = await PaymentRepository(uow.session).get(data.payment_id, for_update=True)
    if payment is None or payment.reference_type != data.reference_type or payment.reference_id != data.reference_id:
        raise NotFound("No such payment for this reference.", code="payment_not_found")
    existing = await repository.transfer_for(data.reference_type, data.reference_id)
    if existing is not None:
        return existing
    if payment.payee_id != data.payee_id or payment.currency != data.currency or data.amount > payment.amount:
        raise Unprocessable("The transfer does not match the payment's payee, currency or amount.", code="transfer_mismatch", field="amount")
    if payment.status not in SETTLED:
        raise Conflict(f"A {payment.status} payment has no money to transfer.", code="payment_not_settled")
    account = await repository.account(data.payee_id)
    if account is None or account.stripe_account_id is None:
        raise Conflict("The payee has no payout account.", code="payout_account_missing")
    if not account.payouts_enabled:
        raise Conflict("The payee's payout account cannot receive payouts yet.", code="payouts_not_enabled")
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
        stripe_transfer = await client.v1.transfers.create_async(
            params={
                "amount": record.amount,
                "currency": record.currency,
                "destination": record.destination,
                "transfer_group": record.transfer_group,
                # Funded by this payment's charge: Stripe sends it when that money is available.
                **({"source_transaction": charge} if (charge := await _charge_of(client, payment)) else {}),
                "metadata": {"transfer_id": record.id, "payment_id": payment.id, record.reference_type + "_id": record.reference_id},
            },
            options={"idempotency_key": f"settle-transfer-{record.id}"},
        )
        record.stripe_transfer_id = stripe_transfer.id
        record.status = "paid"
    repository.add(record)
    await uow.session.flush()
    if record.status == "paid":
        uow.emit(events.TransferCreated(**_state(record)))
    return record


async def _charge_of(client: stripe.StripeClient, payment: Payment) -> str | None:
    intent = await client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    charge = getattr(intent, "latest_charge", None)
    return charge if isinstance(charge, str) else getattr(charge, "id", None)


async def on_payment_refunded(uow: UnitOfWork, payment: Payment, refund_id: str) -> None:
    """Runs in the transaction that records a refund (payment row locked): if money of this
    payment went on to a payee, ask for the reversal of their share."""
    paid = await ConnectRepository(uow.session).paid_transfer_of_payment(payment.id)
    if paid is None:
        return
    await queue.enqueue(
        uow, id=stable_id("trv", "refund", refund_id), kind=queue.REVERSE_TRANSFER, requested_by="billing",
        payment_id=payment.id, transfer_id=paid.id,
    )


async def reverse_for_task(uow: UnitOfWork, client: stripe.StripeClient, task: StripeTask) -> str:
    """Reverses what the transfer sent beyond what the payee is owed now. Decided from the current
    state, so tasks for several refunds, or one task run twice, never reverse too much."""
    repository = ConnectRepository(uow.session)
    record = await repository.transfer(task.transfer_id, for_update=True)
    payment = await PaymentRepository(uow.session).get(task.payment_id)
    if record is None or payment is None or record.stripe_transfer_id is None:
        return "no_transfer"
    due = reversal_due(record.amount, record.amount_reversed, owed(record.gross_amount, payment.amount_refunded, payment.amount))
    if due == 0:
        return "nothing_due"
    target = record.amount_reversed + due
    reversal = await client.v1.transfers.reversals.create_async(
        record.stripe_transfer_id,
        params={"amount": due, "metadata": {"transfer_id": record.id, "payment_id": payment.id}},
        # Fixed by the total reversed after it: a retry of this step replays, the next step differs.
        options={"idempotency_key": f"settle-transfer-reversal-{record.id}-{target}"},
    )
    repository.add(TransferReversal(id=new_id("trr"), transfer_id=record.id, amount=due, stripe_reversal_id=reversal.id))
    record.amount_reversed = target
    await uow.session.flush()
    uow.emit(events.TransferReversed(**_state(record), reversal_id=reversal.id, reversal_amount=due))
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
