from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from settle_kit import idempotency
from settle_kit.auth import CurrentPrincipal
from settle_kit.models import new_id
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.schemas import UserId
from settle_kit.service import UoW

from billing.deps import Stripe
from billing.payments import service
from billing.payments.models import Payment, Refund
from billing.payments.repository import PaymentRepository
from billing.payments.schemas import PaymentCreate, PaymentOut, RefundCreate, RefundOut
from billing.payments.states import Status

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentOut)
async def create_payment(
    body: PaymentCreate, caller: CurrentPrincipal, uow: UoW, client: Stripe, key: idempotency.IdempotencyKeyHeader = None
):
    request = await idempotency.begin(uow, caller, key, "POST /v1/payments", body)
    if request.replay:
        return request.replay
    payment_id = idempotency.derived_id("pay", caller, key, fallback=new_id("pay"))
    payment = await service.create_milestone_payment(uow, client, caller, body, payment_id, refusals=request)
    return await request.respond(status.HTTP_201_CREATED, PaymentOut.seen_by(payment, caller.user_id))


@router.get("", response_model=Page[PaymentOut])
async def list_payments(
    caller: CurrentPrincipal,
    uow: UoW,
    page: Pagination,
    conversation_id: Annotated[str | None, Query(max_length=40)] = None,
    project_id: Annotated[str | None, Query(max_length=40)] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    payer_id: Annotated[UserId | None, Query(description="Admins see every user's payments; others only their own")] = None,
    payee_id: Annotated[UserId | None, Query()] = None,
):
    repository = PaymentRepository(uow.session)
    query = repository.everyone() if caller.is_admin else repository.visible_to(caller.user_id)
    filters = (
        (Payment.conversation_id, conversation_id), (Payment.project_id, project_id), (Payment.status, status_),
        (Payment.payer_id, payer_id), (Payment.payee_id, payee_id),
    )
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    items, has_more = await paginate(uow.session, query, created_at=Payment.created_at, id_=Payment.id, params=page)
    return {"data": [PaymentOut.seen_by(p, caller.user_id) for p in items], "has_more": has_more}


@router.get("/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: str, caller: CurrentPrincipal, uow: UoW):
    return PaymentOut.seen_by(await service.visible_payment(uow, caller, payment_id), caller.user_id)


@router.post("/{payment_id}/cancel", response_model=PaymentOut)
async def cancel_payment(payment_id: str, caller: CurrentPrincipal, uow: UoW, client: Stripe):
    """Payer or payee: closes a payment nobody has paid (its PaymentIntent is cancelled). 409
    `payment_not_cancelable` once it is paid or processing; cancelling twice is harmless."""
    payment = await service.cancel(uow, client, caller, payment_id)
    await uow.commit()
    return PaymentOut.seen_by(payment, caller.user_id)


@router.get("/{payment_id}/refunds", response_model=Page[RefundOut])
async def list_refunds(payment_id: str, caller: CurrentPrincipal, uow: UoW, page: Pagination):
    await service.visible_payment(uow, caller, payment_id)
    query = PaymentRepository(uow.session).refunds_of(payment_id)
    items, has_more = await paginate(uow.session, query, created_at=Refund.created_at, id_=Refund.id, params=page)
    return {"data": items, "has_more": has_more}


@router.post("/{payment_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=RefundOut)
async def refund_payment(
    payment_id: str,
    caller: CurrentPrincipal,
    uow: UoW,
    client: Stripe,
    body: Annotated[RefundCreate | None, Body()] = None,
    key: idempotency.IdempotencyKeyHeader = None,
):
    """No body (or `{}`) refunds what is left."""
    body = body or RefundCreate()
    request = await idempotency.begin(uow, caller, key, f"POST /v1/payments/{payment_id}/refunds", body)
    if request.replay:
        return request.replay
    refund_id = idempotency.derived_id("re", caller, key, fallback=new_id("re"))
    refund = await service.request_refund(uow, client, caller, payment_id, body.amount, refund_id)
    refund = await service.send_refund(uow, client, refund, refusals=request)
    return await request.respond(status.HTTP_201_CREATED, RefundOut.model_validate(refund))
