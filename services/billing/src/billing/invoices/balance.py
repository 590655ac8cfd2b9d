"""What an invoice has received, worked out from its own payments and refunds every time (never a
running total that could drift), and the status that follows. Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from settle_kit.money import prorate

from billing.payments import states

RECEIVED = (states.SUCCEEDED, states.PARTIALLY_REFUNDED, states.REFUNDED)


@dataclass(frozen=True)
class Balance:
    total: int
    received: int  # every payment that succeeded, before refunds
    refunded: int  # what Stripe has refunded of them
    in_flight: bool  # a payment is processing: money may be on its way

    @property
    def net(self) -> int:
        return self.received - self.refunded

    @property
    def paid(self) -> int:
        # An excess (two links paid at once) is refunded at once; until it is, paid stops at the total.
        return min(self.net, self.total)

    @property
    def remaining(self) -> int:
        return self.total - self.paid


def balance(total: int, payments: Iterable[tuple[str, int, int]]) -> Balance:
    """`payments`: (status, amount, amount_refunded) of each of the invoice's payments."""
    received = refunded = 0
    in_flight = False
    for status, amount, amount_refunded in payments:
        if status in RECEIVED:
            received += amount
            refunded += amount_refunded
        elif status == states.PROCESSING:
            in_flight = True
    return Balance(total, received, refunded, in_flight)


def stored_status(found: Balance, *, cancelled: bool) -> str:
    """pending | partial | paid | cancelled | refunded (overdue is read, not stored: `status`)."""
    if cancelled:
        return "cancelled"
    if found.received > 0 and found.net <= 0:
        return "refunded"
    if found.remaining <= 0:
        return "paid"
    return "partial" if found.paid > 0 else "pending"


def status(stored: str, overdue_from: datetime | None, now: datetime) -> str:
    if stored in ("pending", "partial") and overdue_from is not None and now >= overdue_from:
        return "overdue"
    return stored


def deposit(total: int, percent: int) -> int:
    """`percent` of the total, rounded half up to the minor unit."""
    return prorate(total, percent, 100)
