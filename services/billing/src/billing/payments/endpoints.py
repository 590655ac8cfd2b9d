from typing import Annotated

from fastapi import APIRouter, Query, status

from settle_kit import idempotency
from settle_kit.auth import CurrentPrincipal
from settle_kit.models import new_id
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.service import UoW

from billing.deps import Stripe
from billing.payments import service
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository
from billing.payments.states import Status
from billing.payments.schemas import PaymentCreate, PaymentOut, RefundCreate, RefundOut

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentOut)
async def create_payment(
    body: PaymentCreate, caller: CurrentPrincipal, uow: UoW, client: Stripe, key: idempotency.IdempotencyKeyHeader = None
):
    request = await idempotency.begin(uow, caller, key, "POST /v1/payments", body)
    if request.replay:
        return request.replay
    payment_id = idempotency.derived_id("pay", caller, key, fallback=new_id("pay"))
    payment = await service.create_milestone_payment(uow, client, caller, body, payment_id)
    out = PaymentOut.model_validate(payment)
    return await request.respond(status.HTTP_201_CREATED, out)


@router.get("", response_model=Page[PaymentOut])
async def list_payments(
    caller: CurrentPrincipal,
    uow: UoW,
    page: Pagination,
    conversation_id: Annotated[str | None, Query(max_length=40)] = None,
    project_id: Annotated[str | None, Query(max_length=40)] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
):
    query = PaymentRepository(uow.session).visible_to(caller.user_id)
    for column, value in ((Payment.conversation_id, conversation_id), (Payment.project_id, project_id), (Payment.status, status_)):
        if value is not None:
            query = query.where(column == value)
    items, has_more = await paginate(uow.session, query, created_at=Payment.created_at, id_=Payment.id, params=page)
    return {"data": items, "has_more": has_more}


@router.get("/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: str, caller: CurrentPrincipal, uow: UoW):
    return await service.visible_payment(uow, caller, payment_id)


@router.post("/{payment_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=RefundOut)
async def refund_payment(
    payment_id: str,
    body: RefundCreate,
    caller: CurrentPrincipal,
    uow: UoW,
    client: Stripe,
    key: idempotency.IdempotencyKeyHeader = None,
):
    request = await idempotency.begin(uow, caller, key, f"POST /v1/payments/{payment_id}/refunds", body)
    if request.replay:
        return request.replay
    refund_id = idempotency.derived_id("re", caller, key, fallback=new_id("re"))
    refund = await service.refund(uow, client, caller, payment_id, body.amount, refund_id)
    out = RefundOut.model_validate(refund)
    return await request.respond(status.HTTP_201_CREATED, out)
