"""The kinds of earning the one payout engine pays, and where each keeps its payout state.

A completed booking keeps its expert's payout on the booking itself; a sale of a paid message
(announced by messaging) is an `Earning` row. Both have the same payout columns (`payout_status`,
`payout_claimed_until`, `payout_amount`, `transfer_id`, `paid_out_at`, `payout_reversed`), so
the run claims, pays and records either the same way; this table says which columns hold the
payee, their share and the price, and what billing calls the payment's reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from settle_kit.money import prorate

from bookings.bookings.models import Booking
from bookings.payouts.models import Earning


@dataclass(frozen=True)
class Source:
    type: str  # as `GET /v1/admin/payouts` names it: booking | message_sale
    reference_type: str  # billing's reference of the funding payment (and of the transfer)
    model: Any
    payee: Any
    share: Any
    price: Any
    earned_at: Any

    def still_owed(self, row: Any) -> int:
        """The payee's share of what is left of the payment (billing applies the same rule)."""
        share, price = getattr(row, self.share.key), getattr(row, self.price.key)
        if price == 0:
            return 0
        return share - prorate(share, row.amount_refunded, price)

    def payee_of(self, row: Any) -> str:
        return getattr(row, self.payee.key)


BOOKINGS = Source("booking", "booking", Booking, Booking.expert_id, Booking.expert_payout, Booking.price, Booking.completed_at)
# A sale paid in credits has no card payment (`payment_id` None): billing funds its transfer from
# the platform's balance, against the credits the sale debited.
MESSAGE_SALES = Source("message_sale", "message_purchase", Earning, Earning.payee_id, Earning.earning, Earning.price, Earning.earned_at)
SOURCES = (BOOKINGS, MESSAGE_SALES)
BY_REFERENCE = {s.reference_type: s for s in SOURCES}
