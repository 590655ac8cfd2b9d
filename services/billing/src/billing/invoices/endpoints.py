from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import or_

from settle_kit import idempotency
from settle_kit.auth import CurrentPrincipal
from settle_kit.errors import ProblemError
from settle_kit.models import new_id
from settle_kit.openapi import problems
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.schemas import UserId
from settle_kit.service import UoW

from billing import stripe_api
from billing.deps import Stripe
from billing.invoices import pages, pay, service
from billing.invoices.models import Invoice
from billing.invoices.repository import InvoiceRepository
from billing.invoices.schemas import (
    InvoiceCreate,
    InvoiceOut,
    InvoiceRefundCreate,
    InvoiceRefundOut,
    InvoiceStatus,
    LinkCreate,
    LinkOut,
    ReminderList,
    RevenueOut,
    SendCreate,
    SendOut,
)
from billing.payments import service as payments

router = APIRouter(tags=["invoices"])


def _now(request: Request):
    return request.app.state.clock.now()


def _urls(request: Request) -> service.Urls:
    return service.Urls(request.app.state.settings.public_url)


@router.post("/v1/invoices", status_code=status.HTTP_201_CREATED, response_model=InvoiceOut)
async def create_invoice(body: InvoiceCreate, caller: CurrentPrincipal, uow: UoW, request: Request, key: idempotency.IdempotencyKeyHeader = None):
    """Numbered `INV-0001` onward per issuer unless `number` is given (409 `invoice_number_taken`
    when the issuer used it already). The customer's phone must be able to receive texts (422
    naming `customer.phone`)."""
    claim = await idempotency.begin(uow, caller, key, "POST /v1/invoices", body)
    if claim.replay:
        return claim.replay
    invoice_id = idempotency.derived_id("inv", caller, key, fallback=new_id("inv"))
    invoice = await service.create(
        uow, caller, body, invoice_id, now=_now(request), allow_test_numbers=request.app.state.settings.is_development,
    )
    return await claim.respond(status.HTTP_201_CREATED, await service.view(uow, invoice, _urls(request), _now(request)))


@router.get("/v1/invoices", response_model=Page[InvoiceOut])
async def list_invoices(
    caller: CurrentPrincipal,
    uow: UoW,
    request: Request,
    page: Pagination,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    job_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    issuer_id: Annotated[UserId | None, Query(description="Admins list every issuer's invoices, or one issuer's")] = None,
):
    """The caller's invoices, newest first; an admin's token lists every issuer's (e.g. all
    `?status=overdue`)."""
    now = _now(request)
    query = InvoiceRepository(uow.session).listing(None if caller.is_admin else caller.user_id)
    if caller.is_admin and issuer_id is not None:
        query = query.where(Invoice.issuer_id == issuer_id)
    if job_id is not None:
        query = query.where(Invoice.job_id == job_id)
    if status_ == "overdue":
        query = query.where(Invoice.status.in_(("pending", "partial")), Invoice.overdue_from <= now)
    elif status_ in ("pending", "partial"):
        query = query.where(Invoice.status == status_, or_(Invoice.overdue_from.is_(None), Invoice.overdue_from > now))
    elif status_ is not None:
        query = query.where(Invoice.status == status_)
    items, has_more = await paginate(uow.session, query, created_at=Invoice.created_at, id_=Invoice.id, params=page)
    return {"data": await service.views(uow, items, _urls(request), now), "has_more": has_more}


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(invoice_id: str, caller: CurrentPrincipal, uow: UoW, request: Request):
    invoice = await service.visible(uow, caller, invoice_id)
    return await service.view(uow, invoice, _urls(request), _now(request))


@router.post("/v1/invoices/{invoice_id}/payment-links", status_code=status.HTTP_201_CREATED, response_model=LinkOut)
async def create_link(
    invoice_id: str, body: LinkCreate, caller: CurrentPrincipal, uow: UoW, request: Request, key: idempotency.IdempotencyKeyHeader = None,
):
    """deposit: `percent` (1-99, default 50) of the total, half up; progress: `amount` ≤ what
    remains; final: what remains; full: the total, only while nothing is paid (409
    `invoice_partly_paid`). Expires after `expires_in_days` (default 30). 409 once the invoice is
    paid or cancelled."""
    claim = await idempotency.begin(uow, caller, key, f"POST /v1/invoices/{invoice_id}/payment-links", body)
    if claim.replay:
        return claim.replay
    link_id = idempotency.derived_id("plink", caller, key, fallback=new_id("plink"))
    link = await service.create_link(uow, caller, invoice_id, body, link_id, now=_now(request))
    return await claim.respond(status.HTTP_201_CREATED, service.link_view(link, _urls(request), _now(request)))


@router.post("/v1/invoices/{invoice_id}/send", status_code=status.HTTP_202_ACCEPTED, response_model=SendOut)
async def send_invoice(invoice_id: str, caller: CurrentPrincipal, uow: UoW, request: Request, body: Annotated[SendCreate | None, Body()] = None):
    """Texts the customer the link named, or one for what remains (an open one, else a new
    `final` or `full` link). 409 when the invoice is paid or cancelled, or the link is not open."""
    body = body or SendCreate()
    sms_id, link = await service.send(uow, caller, invoice_id, body.link_id, _urls(request), now=_now(request))
    await uow.commit()
    return {"sms_id": sms_id, "link": service.link_view(link, _urls(request), _now(request))}


@router.post("/v1/invoices/{invoice_id}/cancel", response_model=InvoiceOut)
async def cancel_invoice(invoice_id: str, caller: CurrentPrincipal, uow: UoW, request: Request):
    """Open links stop working; 409 `invoice_not_cancelable` once anything is paid."""
    invoice = await service.cancel(uow, caller, invoice_id, now=_now(request))
    await uow.commit()
    return await service.view(uow, invoice, _urls(request), _now(request))


@router.post("/v1/invoices/{invoice_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=InvoiceRefundOut, responses=problems(402))
async def refund_invoice(
    invoice_id: str, caller: CurrentPrincipal, uow: UoW, client: Stripe, body: Annotated[InvoiceRefundCreate | None, Body()] = None,
    key: idempotency.IdempotencyKeyHeader = None,
):
    """The issuer or an admin gives back `amount` (default: everything paid), from the newest
    payments first; `remaining` grows back once Stripe has refunded it."""
    body = body or InvoiceRefundCreate()
    claim = await idempotency.begin(uow, caller, key, f"POST /v1/invoices/{invoice_id}/refunds", body)
    if claim.replay:
        return claim.replay
    key_id = idempotency.derived_id("iref", caller, key, fallback=new_id("iref"))
    invoice, refunds = await service.decide_refunds(uow, caller, invoice_id, body.amount, key_id)
    await uow.commit()
    sent = [await payments.send_refund(uow, client, refund, refusals=claim) for refund in refunds]
    out = InvoiceRefundOut(
        invoice_id=invoice.id, amount={"amount": sum(r.amount for r in sent), "currency": invoice.currency},
        refunds=[{"id": r.id, "payment_id": r.payment_id, "amount": r.amount, "status": r.status} for r in sent],
    )
    return await claim.respond(status.HTTP_201_CREATED, out)


@router.get("/v1/invoices/{invoice_id}/reminders", response_model=ReminderList)
async def list_reminders(invoice_id: str, caller: CurrentPrincipal, uow: UoW):
    """Each level at most once: scheduled, sent (with the SMS's delivery and the customer's
    reply), or withdrawn (and why)."""
    invoice = await service.visible(uow, caller, invoice_id)
    return {"data": await InvoiceRepository(uow.session).reminders(invoice.id)}


@router.get("/v1/jobs/{job_id}/revenue", response_model=RevenueOut)
async def job_revenue(job_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")], caller: CurrentPrincipal, uow: UoW):
    """From the caller's invoices for the job, one amount per currency each."""
    return await service.revenue(uow, caller, job_id)


@router.get("/pay/{code}", include_in_schema=False)
async def open_payment_link(code: str, request: Request, client: Stripe):
    """The customer's link: 302 to Stripe's payment page; 410 page once expired, cancelled or paid."""
    if len(code) > 32:
        return pages.not_found()
    try:
        visit = await pay.open_link(request.app.state.db, client, code, _urls(request), now=_now(request))
    except ProblemError as exc:
        if exc.status >= 500:
            return pages.unavailable(stripe_api.retry_after(exc))
        return pages.page("This link cannot be paid by card", exc.detail, 422)
    if visit.missing:
        return pages.not_found()
    if visit.gone is not None:
        return pages.gone(visit.gone)
    return RedirectResponse(visit.redirect_to, status_code=302, headers={"Cache-Control": "no-store"})


@router.get("/pay/{code}/thanks", include_in_schema=False, response_class=HTMLResponse)
async def paid_thanks(code: str):
    return pages.thanks()
