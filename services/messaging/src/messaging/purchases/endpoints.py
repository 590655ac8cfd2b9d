from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from settle_kit import idempotency
from settle_kit.auth import CurrentPrincipal
from settle_kit.errors import BadGateway, PaymentRequired, Unprocessable
from settle_kit.openapi import problems
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from messaging.purchases import service
from messaging.purchases.schemas import MessagePurchaseCreate, MessagePurchaseOut, MessagePurchaseRefundOut

router = APIRouter(tags=["message purchases"])


@router.post(
    "/v1/messages/{message_id}/purchase", status_code=status.HTTP_201_CREATED, response_model=MessagePurchaseOut,
    responses=problems(402, 403, 409, 502, 503),
)
async def buy_message(
    message_id: str, body: MessagePurchaseCreate, request: Request, caller: CurrentPrincipal, uow: UoW,
    key: idempotency.IdempotencyKeyHeader = None,
):
    """Buys a paid message: by card (`checkout_url`, Stripe's hosted page; unlocked when the payment
    succeeds) or by credits (1 credit per 1.00 USD, unlocked at once; 402 `insufficient_credits`).
    An open purchase is returned again; a completed one is 409 `already_unlocked`."""
    replayable = await idempotency.begin(uow, caller, key, f"POST /v1/messages/{message_id}/purchase", body)
    if replayable.replay:
        return replayable.replay
    purchase = await service.decide(uow, caller, message_id, body, key)
    await uow.commit()  # the decision (and the key's claim) before billing is asked
    try:
        purchase = await service.settle(uow, request.app.state.billing, purchase, body)
    except (PaymentRequired, Unprocessable, BadGateway) as exc:  # the purchase failed: this key's answer for good
        raise await replayable.refuse(exc) from None
    return await replayable.respond(201, MessagePurchaseOut.seen_by(purchase, caller.user_id))


@router.get("/v1/message-purchases", response_model=Page[MessagePurchaseOut])
async def list_purchases(
    caller: CurrentPrincipal, uow: UoW, page: Pagination,
    as_: Annotated[Literal["buyer", "seller"], Query(alias="as", description="Your purchases, or your sales")] = "buyer",
):
    purchases, has_more = await service.list_purchases(uow, caller, as_, page)
    return Page(data=[MessagePurchaseOut.seen_by(p, caller.user_id) for p in purchases], has_more=has_more)


@router.get("/v1/message-purchases/{purchase_id}", response_model=MessagePurchaseOut)
async def get_purchase(purchase_id: str, caller: CurrentPrincipal, uow: UoW):
    return MessagePurchaseOut.seen_by(await service.get(uow, caller, purchase_id), caller.user_id)


@router.post(
    "/v1/message-purchases/{purchase_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=MessagePurchaseRefundOut,
    responses=problems(403, 409, 502, 503),
)
async def refund_purchase(
    purchase_id: str, request: Request, caller: CurrentPrincipal, uow: UoW, key: idempotency.IdempotencyKeyHeader = None,
):
    """The seller or an admin refunds the purchase in full; the buyer loses access at once."""
    replayable = await idempotency.begin(uow, caller, key, f"POST /v1/message-purchases/{purchase_id}/refunds", None)
    if replayable.replay:
        return replayable.replay
    await uow.commit()
    refund = await service.refund(uow, request.app.state.billing, caller, purchase_id)
    return await replayable.respond(201, refund)
