"""The booking state machine. It only moves forward: a late or repeated event, a second click,
or two sweepers at once never take a booking back.

    awaiting_payment -> scheduled -> completed
    awaiting_payment -> expired                      (unpaid past its hold)
    awaiting_payment | scheduled -> cancelled_by_requester | cancelled_by_expert

Only `awaiting_payment` and `scheduled` hold the expert's time (the database's exclusion
constraint covers exactly these two).
"""

from typing import Literal, get_args

Status = Literal["awaiting_payment", "scheduled", "completed", "cancelled_by_requester", "cancelled_by_expert", "expired"]

AWAITING_PAYMENT = "awaiting_payment"
SCHEDULED = "scheduled"
COMPLETED = "completed"
CANCELLED_BY_REQUESTER = "cancelled_by_requester"
CANCELLED_BY_EXPERT = "cancelled_by_expert"
EXPIRED = "expired"

ALL: tuple[str, ...] = get_args(Status)
HOLDING_SLOT = (AWAITING_PAYMENT, SCHEDULED)
CANCELLED = (CANCELLED_BY_REQUESTER, CANCELLED_BY_EXPERT)

ALLOWED = {
    AWAITING_PAYMENT: {SCHEDULED, EXPIRED, *CANCELLED},
    SCHEDULED: {COMPLETED, *CANCELLED},
    COMPLETED: set(),
    CANCELLED_BY_REQUESTER: set(),
    CANCELLED_BY_EXPERT: set(),
    EXPIRED: set(),
}

# Payout of a completed booking: `pending` until a payout run sends it; `void` when refunds left
# nothing to send. None: nothing is owed (not completed, or free).
PAYOUT_PENDING = "pending"
PAYOUT_PAID = "paid"
PAYOUT_VOID = "void"
PAYOUT_STATUSES = (PAYOUT_PENDING, PAYOUT_PAID, PAYOUT_VOID)


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED[current]


def cancelled_status(by: str) -> str:
    return CANCELLED_BY_EXPERT if by == "expert" else CANCELLED_BY_REQUESTER
