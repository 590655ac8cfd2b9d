"""The texts notifications writes itself (bookings); other services write their own."""

from datetime import datetime
from zoneinfo import ZoneInfo

from settle_kit.money import format_money


def _when(start: datetime, zone: ZoneInfo) -> str:
    local = start.astimezone(zone)
    return f"{local:%a %d %b %Y at %H:%M} {local.tzname()}"


def _price(amount: int, currency: str) -> str:
    return format_money(amount, currency) if amount else "free"


def booking_scheduled(*, for_expert: bool, start: datetime, minutes: int, price: int, currency: str, zone: ZoneInfo) -> str:
    if for_expert:
        return f"Settle: new booking on {_when(start, zone)} ({minutes} min, {_price(price, currency)})."
    return f"Settle: your booking on {_when(start, zone)} ({minutes} min) is confirmed. Price: {_price(price, currency)}."


def booking_cancelled(
    *, for_expert: bool, start: datetime, cancelled_by: str, refund_amount: int, currency: str, zone: ZoneInfo
) -> str:
    by = "you" if (cancelled_by == "expert") == for_expert else f"the {cancelled_by}"
    text = f"Settle: the booking on {_when(start, zone)} was cancelled by {by}."
    if not for_expert and refund_amount:
        text += f" Refund: {format_money(refund_amount, currency)}."
    return text
