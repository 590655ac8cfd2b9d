"""Prices, the platform's fee and refunds, in integer minor units only (no floats anywhere).

A zero-decimal currency (JPY, KRW, …) needs nothing special here: its minor unit is the whole
yen, so a rate of 100 jpy/min is ¥100 and the fee is rounded to whole yen like cents elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from settle_kit.money import MAX_AMOUNT, prorate

BPS = 10_000


@dataclass(frozen=True)
class Split:
    price: int
    platform_fee: int
    expert_payout: int


def split(rate_per_minute: int, minutes: int, fee_bps: int) -> Split:
    """price = rate × minutes; fee = price × fee_bps / 10 000 rounded half up; payout = the rest."""
    if rate_per_minute < 0 or minutes <= 0 or not 0 <= fee_bps <= BPS:
        raise ValueError("a rate >= 0, minutes > 0 and a fee of 0-10000 basis points")
    price = rate_per_minute * minutes
    fee = prorate(price, fee_bps, BPS)
    return Split(price=price, platform_fee=fee, expert_payout=price - fee)


def payable(price: int) -> bool:
    """Whether one card payment can carry the price (the API's and Stripe's upper bound)."""
    return price <= MAX_AMOUNT


def refund_on_cancel(
    price: int,
    *,
    cancelled_by: Literal["requester", "expert"],
    start_time: datetime,
    now: datetime,
    policy: Literal["full", "notice"],
    notice: timedelta,
    late_refund_bps: int,
) -> int:
    """What a cancellation of a paid booking gives back. The expert cancelling always refunds in
    full; the requester per the platform's policy."""
    if cancelled_by == "expert" or policy == "full":
        return price
    if start_time - now >= notice:
        return price
    return prorate(price, late_refund_bps, BPS)
