"""Events produced by the billing service.

Every payment event carries the payment's state after the change (event-carried state), so a
consumer never needs to ask billing. `purpose` and `reference_type`/`reference_id` tell the
owning context (messaging, bookings, …) that the payment is theirs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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
    # When the payment reached `status` (billing's clock). Events are handled in any order and
    # at any delay, so what records an outcome dates it by this, not by when it was handled.
    # Absent from events emitted before it existed.
    updated_at: datetime | None = None


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


# Prepaid credits: every movement of a user's wallet, with the balance after it. Credit amounts
# are exact decimals (6 places), carried as strings in JSON.


class CreditsMovement(Event):
    user_id: str
    entry_id: str
    transaction_id: str
    amount: Decimal
    balance_after: Decimal
    description: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None


class CreditsGranted(CreditsMovement):
    """A credit purchase's payment succeeded: its credits landed in the buyer's wallet (once)."""

    event_type = "billing.credits.granted"
    purchase_id: str


class CreditsDebited(CreditsMovement):
    """Credits were spent (`amount` is negative)."""

    event_type = "billing.credits.debited"


class CreditsRefunded(CreditsMovement):
    """Credits spent on something that was refunded came back to the wallet (`amount` is positive)."""

    event_type = "billing.credits.refunded"


class CreditsAdjusted(CreditsMovement):
    """An admin corrected a wallet (`amount` is signed)."""

    event_type = "billing.credits.adjusted"


class CreditsClawedBack(CreditsMovement):
    """A credit purchase was refunded: its unspent credits left the wallet (`amount` is negative)."""

    event_type = "billing.credits.clawed_back"
    purchase_id: str
    refund_id: str


# Connect: payout accounts and transfers. Experts are paid through Stripe Connect Express
# accounts; each transfer names what it pays for (`reference_type`/`reference_id`, e.g. a booking).


class PayoutAccountUpdated(Event):
    """A user's Connect account was opened or changed (e.g. onboarding finished: `payouts_enabled`)."""

    event_type = "billing.payout_account.updated"
    user_id: str
    account_id: str
    payouts_enabled: bool
    charges_enabled: bool
    details_submitted: bool
    # Consumers keep the newest state: a redelivered older event must not undo a newer one.
    updated_at: datetime


class TransferState(Event):
    transfer_id: str
    stripe_transfer_id: str | None
    payment_id: str | None  # None: a sale paid in credits, funded from the platform's balance
    payee_id: str
    destination: str
    reference_type: str
    reference_id: str
    transfer_group: str
    amount: int
    amount_reversed: int
    currency: str


class TransferCreated(TransferState):
    """Money was sent to a payee's Connect account (one transfer per reference, ever)."""

    event_type = "billing.transfer.created"


class TransferReversed(TransferState):
    """Part or all of a transfer was taken back because its payment was refunded."""

    event_type = "billing.transfer.reversed"
    reversal_id: str
    reversal_amount: int


class CheckoutSessionExpired(Event):
    """A Checkout Session of ours expired unpaid (Stripe's `checkout.session.expired`): what it
    was for (`purpose`, `reference_type`/`reference_id`) stays unpaid."""

    event_type = "billing.checkout_session.expired"
    session_id: str
    purpose: Purpose
    reference_type: str | None = None
    reference_id: str | None = None
