"""`GET /v1/admin/payment-stats`: the operator console's overview of payments (admin only).

Per day and currency over the last `days` days: payments that succeeded (with what they took in,
refunds deducted) and those that failed; and the success rate of the payments decided in the
window (succeeded, or failed or cancelled: open ones are not decided yet). Days are UTC dates.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Date, cast, func, select

from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.models import utcnow
from settle_kit.service import UoW

from billing.payments import states
from billing.payments.models import Payment

router = APIRouter(prefix="/v1/admin", tags=["admin"])

_SUCCEEDED = (states.SUCCEEDED, states.PARTIALLY_REFUNDED, states.REFUNDED)
_UNSUCCESSFUL = (states.FAILED, states.CANCELED)


class DayOfPayments(BaseModel):
    date: date
    currency: str
    succeeded: int
    failed: int
    collected: int = Field(description="Minor units taken in by the day's successful payments, less what was refunded of them")


class Collected(BaseModel):
    amount: int
    currency: str


class PaymentStats(BaseModel):
    since: date
    days: list[DayOfPayments] = Field(description="Days with any payment, oldest first")
    success_rate: float | None = Field(description="Succeeded of those decided in the window; null when none is")
    collected: list[Collected] = Field(description="Per currency over the window")


@router.get("/payment-stats", response_model=PaymentStats)
async def payment_stats(_: Admin, uow: UoW, days: Annotated[int, Query(ge=1, le=366)] = 30) -> PaymentStats:
    since = (utcnow() - timedelta(days=days - 1)).date()
    day = cast(func.timezone("UTC", Payment.created_at), Date)
    succeeded = Payment.status.in_(_SUCCEEDED)
    rows = (await uow.session.execute(
        select(
            day, Payment.currency,
            func.count().filter(succeeded), func.count().filter(Payment.status.in_(_UNSUCCESSFUL)),
            func.coalesce(func.sum(Payment.amount - Payment.amount_refunded).filter(succeeded), 0),
        ).where(day >= since).group_by(day, Payment.currency).order_by(day, Payment.currency)
    )).all()
    per_day = [DayOfPayments(date=d, currency=c, succeeded=s, failed=f, collected=int(amount)) for d, c, s, f, amount in rows]
    won, lost = sum(d.succeeded for d in per_day), sum(d.failed for d in per_day)
    totals: dict[str, int] = {}
    for d in per_day:
        totals[d.currency] = totals.get(d.currency, 0) + d.collected
    return PaymentStats(
        since=since, days=per_day, success_rate=round(won / (won + lost), 4) if won + lost else None,
        collected=[Collected(amount=a, currency=c) for c, a in sorted(totals.items())],
    )
