"""Internal API for messaging's paid messages (role `service`; the gateway does not route `/internal`)."""

from fastapi import APIRouter, Request, status

from settle_kit import idempotency
from settle_kit.openapi import problems
from settle_kit.service import UoW

from billing.deps import ServiceCaller, Stripe
from billing.message_sales import service
from billing.message_sales.schemas import SaleCheckoutCreate, SaleCheckoutOut, SaleRefundCreate, SaleRefundOut

router = APIRouter(prefix="/internal/message-sales", tags=["internal"])


@router.post("/checkouts", status_code=status.HTTP_201_CREATED, response_model=SaleCheckoutOut, responses=problems(503))
async def open_sale_checkout(body: SaleCheckoutCreate, request: Request, client: Stripe, caller: ServiceCaller):
    """A card purchase's Checkout Session; the same one again for the same purchase (Stripe's
    idempotency key is the purchase's). No transaction: nothing is written until it is paid."""
    return await service.open_checkout(client, body, request.app.state.settings.public_url)


@router.post("/refunds", status_code=status.HTTP_201_CREATED, response_model=SaleRefundOut, responses=problems(404, 409, 503))
async def refund_sale(body: SaleRefundCreate, uow: UoW, client: Stripe, caller: ServiceCaller, key: idempotency.IdempotencyKeyHeader = None):
    """A purchase's money back to its buyer: the card payment refunded in full, or the credits returned."""
    return await service.refund(uow, client, caller, body)
