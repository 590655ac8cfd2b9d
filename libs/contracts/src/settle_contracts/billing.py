"""Events produced by the billing service.

Every payment event carries the payment's state after the change (event-carried state), so a
consumer never needs to ask billing. `purpose` and `reference_type`/`reference_id` tell the
owning context (messaging, bookings, …) that the payment is theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from settle_contracts.envelope import Event

Purpose = Literal["milestone", "credit_purchase", "booking", "message_unlock", "invoice"]


class PaymentState(Event):
    payment_id: str
    purpose: Purpose
    status: str
    amount: int
    currency: str
    amount_refunded: int
    payer_id: str
    payee_id: str | None
    project_id: str | None
    conversation_id: str | None
    reference_type: str | None = None
    reference_id: str | None = None
    description: str | None = None


class PaymentCreated(PaymentState):
    """A payment was created and waits for the payer (`requires_payment`)."""

    event_type = "billing.payment.created"


class PaymentProcessing(PaymentState):
    """Stripe is processing the payment."""

    event_type = "billing.payment.processing"


class PaymentSucceeded(PaymentState):
    """The money was captured."""

    event_type = "billing.payment.succeeded"
    succeeded_at: datetime


class PaymentFailed(PaymentState):
    """The payment attempt failed (e.g. a declined card); the payer may not retry it."""

    event_type = "billing.payment.failed"
    failure_code: str | None = None
    failure_message: str | None = None


class PaymentCanceled(PaymentState):
    """The payment was canceled before it succeeded."""

    event_type = "billing.payment.canceled"


class PaymentRefunded(PaymentState):
    """Part or all of a succeeded payment was refunded; `status` says which."""

    event_type = "billing.payment.refunded"
    refund_id: str
    refund_amount: int
