"""The payment state machine. It only moves forward, so late or repeated Stripe events change
nothing they should not: a `processing` arriving after `succeeded` is ignored.

`failed` is not final: Stripe lets the payer retry the same PaymentIntent with another card, and
money that was captured afterwards must show as `succeeded`.
"""

from typing import Literal

REQUIRES_PAYMENT = "requires_payment"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"

ALLOWED = {
    REQUIRES_PAYMENT: {PROCESSING, SUCCEEDED, FAILED, CANCELED},
    PROCESSING: {SUCCEEDED, FAILED, CANCELED},
    FAILED: {PROCESSING, SUCCEEDED, CANCELED},
    SUCCEEDED: {PARTIALLY_REFUNDED, REFUNDED},
    PARTIALLY_REFUNDED: {PARTIALLY_REFUNDED, REFUNDED},
    CANCELED: set(),
    REFUNDED: set(),
}
# Every status, for schemas and filters (a filter by an unknown status is a 422, not an empty list).
Status = Literal[REQUIRES_PAYMENT, PROCESSING, SUCCEEDED, FAILED, CANCELED, PARTIALLY_REFUNDED, REFUNDED]
OPEN = (REQUIRES_PAYMENT, PROCESSING)
REFUNDABLE = (SUCCEEDED, PARTIALLY_REFUNDED)


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED[current]


def after_refund(amount: int, amount_refunded: int) -> str:
    return REFUNDED if amount_refunded >= amount else PARTIALLY_REFUNDED


def from_intent_status(status: str, has_error: bool) -> str | None:
    """Our state for a PaymentIntent's status; None where the payer still has to act."""
    if status == "succeeded":
        return SUCCEEDED
    if status == "processing":
        return PROCESSING
    if status == "canceled":
        return CANCELED
    if status == "requires_payment_method" and has_error:
        return FAILED
    return None
