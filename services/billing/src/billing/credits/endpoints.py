from typing import Annotated

from fastapi import APIRouter, Query, status

from settle_kit import idempotency
from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.auth import CurrentPrincipal, Principal, require_role
from settle_kit.errors import Forbidden
from settle_kit.models import new_id
from settle_kit.openapi import problems
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.schemas import UserId
from settle_kit.service import Db, UoW

from billing.credits import debits, ledger, packages, purchases, wallets
from billing.credits.models import CreditPurchase
from billing.credits.repository import CreditRepository
from billing.credits.schemas import (
    AdjustmentCreate,
    AdminPackageOut,
    BalanceOut,
    DebitCreate,
    EntryOut,
    PackageCreate,
    PackageOut,
    PackageUpdate,
    PurchaseCreate,
    PurchaseOut,
    PurchaseRefundCreate,
    PurchaseRefundOut,
)
from billing.deps import Stripe
from billing.payments.repository import PaymentRepository

router = APIRouter(tags=["credits"])
ServiceOrAdmin = Annotated[Principal, require_role("service", "admin")]


@router.get("/v1/credit-packages", response_model=Page[PackageOut])
async def list_packages(caller: CurrentPrincipal, uow: UoW):
    found = await CreditRepository(uow.session).packages(active_only=True)
    return {"data": [packages.view(p) for p in found], "has_more": False}


@router.get("/v1/admin/credit-packages", response_model=Page[AdminPackageOut])
async def list_all_packages(admin: Admin, uow: UoW):
    found = await CreditRepository(uow.session).packages(active_only=False)
    return {"data": [packages.view(p) for p in found], "has_more": False}


@router.post("/v1/admin/credit-packages", status_code=status.HTTP_201_CREATED, response_model=AdminPackageOut)
async def create_package(body: PackageCreate, admin: Admin, uow: UoW):
    package = await packages.create(uow, body)
    await uow.commit()
    return packages.view(package)


@router.patch("/v1/admin/credit-packages/{package_id}", response_model=AdminPackageOut)
async def update_package(package_id: str, body: PackageUpdate, admin: Admin, uow: UoW):
    package = await packages.update(uow, package_id, body)
    await uow.commit()
    return packages.view(package)


@router.post("/v1/credit-purchases", status_code=status.HTTP_201_CREATED, response_model=PurchaseOut)
async def buy_credits(body: PurchaseCreate, caller: CurrentPrincipal, uow: UoW, client: Stripe, key: idempotency.IdempotencyKeyHeader = None):
    request = await idempotency.begin(uow, caller, key, "POST /v1/credit-purchases", body)
    if request.replay:
        return request.replay
    purchase_id = idempotency.derived_id("cpu", caller, key, fallback=new_id("cpu"))
    payment_id = idempotency.derived_id("pay", caller, key, fallback=new_id("pay"))
    purchase, payment = await purchases.buy(uow, client, caller, body.package_id, purchase_id, payment_id, refusals=request)
    out = PurchaseOut.model_validate(purchases.view(purchase, payment))
    return await request.respond(status.HTTP_201_CREATED, out)


@router.get("/v1/credit-purchases", response_model=Page[PurchaseOut])
async def list_purchases(caller: CurrentPrincipal, uow: UoW, page: Pagination):
    query = CreditRepository(uow.session).purchases_of(caller.user_id)
    found, has_more = await paginate(uow.session, query, created_at=CreditPurchase.created_at, id_=CreditPurchase.id, params=page)
    paid_with = await PaymentRepository(uow.session).by_ids([p.payment_id for p in found])
    return {"data": [purchases.view(p, paid_with[p.payment_id]) for p in found], "has_more": has_more}


@router.get("/v1/credit-purchases/{purchase_id}", response_model=PurchaseOut)
async def get_purchase(purchase_id: str, caller: CurrentPrincipal, uow: UoW):
    purchase = await purchases.visible(uow, caller, purchase_id)
    return purchases.view(purchase, await PaymentRepository(uow.session).get(purchase.payment_id))


@router.post("/v1/credit-purchases/{purchase_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=PurchaseRefundOut)
async def refund_purchase(
    purchase_id: str, body: PurchaseRefundCreate, admin: Admin, uow: UoW, client: Stripe, key: idempotency.IdempotencyKeyHeader = None
):
    request = await idempotency.begin(uow, admin, key, f"POST /v1/credit-purchases/{purchase_id}/refunds", body)
    if request.replay:
        return request.replay
    refund_id = idempotency.derived_id("re", admin, key, fallback=new_id("re"))
    refund, purchase = await purchases.refund(uow, client, admin, purchase_id, body.amount, refund_id, refusals=request)
    out = PurchaseRefundOut(
        id=refund.id,
        payment_id=refund.payment_id,
        purchase_id=purchase.id,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,
        credits_clawed_back=purchase.credits_clawed_back,
        credits_written_off=purchase.credits_written_off,
    )
    return await request.respond(status.HTTP_201_CREATED, out)


@router.get("/v1/balance", response_model=BalanceOut)
async def get_balance(caller: CurrentPrincipal, uow: UoW, user_id: Annotated[UserId | None, Query(description="Admins only")] = None):
    owner = _owner(caller, user_id)
    credits, updated_at = await ledger.balance(uow.session, owner)
    return {"user_id": owner, "credits": credits, "updated_at": updated_at}


@router.get("/v1/balance/transactions", response_model=Page[EntryOut])
async def list_transactions(
    caller: CurrentPrincipal, uow: UoW, page: Pagination, user_id: Annotated[UserId | None, Query(description="Admins only")] = None
):
    query = ledger.statement_of(_owner(caller, user_id))
    found, has_more = await paginate(uow.session, query, created_at=ledger.entries.c.created_at, id_=ledger.entries.c.id, params=page)
    return {"data": found, "has_more": has_more}


@router.post("/v1/balance/debits", status_code=status.HTTP_201_CREATED, response_model=EntryOut, responses=problems(402))
async def debit_credits(body: DebitCreate, caller: ServiceOrAdmin, db: Db, key: idempotency.IdempotencyKeyHeader = None):
    return await debits.debit(db, caller, key, body)


@router.post("/v1/admin/balance-adjustments", status_code=status.HTTP_201_CREATED, response_model=EntryOut,
             responses=problems(402))
async def adjust_balance(body: AdjustmentCreate, admin: Admin, uow: UoW, key: idempotency.IdempotencyKeyHeader = None):
    request = await idempotency.begin(uow, admin, key, "POST /v1/admin/balance-adjustments", body)
    if request.replay:
        return request.replay
    out = EntryOut.model_validate(await wallets.adjust(uow, admin, body))
    return await request.respond(status.HTTP_201_CREATED, out)


def _owner(caller: Principal, user_id: str | None) -> str:
    """Users read their own wallet; only admins may name another's."""
    if user_id is None or user_id == caller.user_id:
        return caller.user_id
    if not caller.is_admin:
        raise Forbidden("Only admins can read another user's balance.", code="forbidden")
    return user_id
