from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from settle_kit import idempotency
from settle_kit.auth import CurrentPrincipal
from settle_kit.models import new_id
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from bookings.bookings import service, states
from bookings.bookings.schemas import BookingCancel, BookingCreate, BookingOut
from bookings.deps import Billing, BookingSettings

router = APIRouter(prefix="/v1/bookings", tags=["bookings"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BookingOut)
async def create_booking(
    body: BookingCreate,
    caller: CurrentPrincipal,
    uow: UoW,
    billing: Billing,
    settings: BookingSettings,
    key: idempotency.IdempotencyKeyHeader = None,
):
    """Book a session; pay it with `client_secret` before `hold_expires_at`. 409 `slot_unavailable`
    when the expert is taken at that time. 503 with Retry-After when payments are unavailable: the
    booking is kept for the same request (same Idempotency-Key) to finish."""
    request = await idempotency.begin(uow, caller, key, "POST /v1/bookings", body)
    if request.replay:
        return request.replay
    # Fixed by the key: a retry makes the same booking id, hence the same payment in billing.
    booking_id = idempotency.derived_id("bkg", caller, key, fallback=new_id("bkg"))
    booking = await service.create_booking(uow, billing, settings, caller, body, booking_id, refusals=request)
    out = BookingOut.seen_by(booking, caller.user_id)
    return await request.respond(status.HTTP_201_CREATED, out)


@router.get("", response_model=Page[BookingOut])
async def list_bookings(
    caller: CurrentPrincipal,
    uow: UoW,
    page: Pagination,
    as_: Annotated[Literal["requester", "expert"] | None, Query(alias="as", description="Only as requester, or as expert")] = None,
    status_: Annotated[states.Status | None, Query(alias="status")] = None,
):
    bookings, has_more = await service.list_bookings(uow, caller, page, as_, status_)
    return Page(data=[BookingOut.seen_by(b, caller.user_id) for b in bookings], has_more=has_more)


@router.get("/{booking_id}", response_model=BookingOut)
async def get_booking(booking_id: str, caller: CurrentPrincipal, uow: UoW):
    return BookingOut.seen_by(await service.visible_booking(uow, caller, booking_id), caller.user_id)


@router.post("/{booking_id}/cancel", response_model=BookingOut)
async def cancel_booking(booking_id: str, caller: CurrentPrincipal, uow: UoW, settings: BookingSettings, body: BookingCancel | None = None):
    """Cancel as the requester or the expert; a paid booking is refunded automatically (in full
    when the expert cancels; per the platform's refund policy when the requester does)."""
    booking = await service.cancel_booking(uow, settings, caller, booking_id, body.reason if body else None)
    await uow.commit()
    return BookingOut.seen_by(booking, caller.user_id)


@router.post("/{booking_id}/complete", response_model=BookingOut)
async def complete_booking(booking_id: str, caller: CurrentPrincipal, uow: UoW):
    """Mark the session as held (the expert or an admin, once it has started); its payout is then due."""
    booking = await service.complete_booking(uow, caller, booking_id)
    await uow.commit()
    return BookingOut.seen_by(booking, caller.user_id)
