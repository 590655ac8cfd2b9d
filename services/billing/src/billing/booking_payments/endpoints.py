"""Internal API for bookings (role `service`; the gateway does not route `/internal`)."""

from fastapi import APIRouter, status

from settle_kit import idempotency
from settle_kit.service import UoW

from billing.booking_payments import service
from billing.booking_payments.schemas import BookingPaymentCreate
from billing.deps import ServiceCaller, Stripe
from billing.payments.schemas import PaymentOut

router = APIRouter(prefix="/internal/booking-payments", tags=["internal"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentOut)
async def open_booking_payment(
    body: BookingPaymentCreate,
    uow: UoW,
    client: Stripe,
    caller: ServiceCaller,
    key: idempotency.IdempotencyKeyHeader = None,
):
    request = await idempotency.begin(uow, caller, key, "POST /internal/booking-payments", body)
    if request.replay:
        return request.replay
    payment = await service.open_booking_payment(uow, client, body, refusals=request)
    # Bookings hands the client secret on to the payer (the requester) only.
    out = PaymentOut.model_validate(payment)
    return await request.respond(status.HTTP_201_CREATED, out)
