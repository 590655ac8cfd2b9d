"""Operators' view of billing's background work (admin only): stored Stripe events and Stripe
tasks, listed by status, and retried by hand once the cause of a failure is fixed.

Both run on the kit's work queue (settle_kit.work_queue); `failed` here is the queue's `dead`:
the item used up its attempts and waits for a person. A retry makes it due now with a fresh
round of attempts.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import or_, select

from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.errors import Conflict, NotFound
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.service import UoW
from settle_kit.work_queue import DONE, STATUS_GROUPS, WorkQueue

from billing.admin.schemas import EventStatus, StripeEventOut, StripeTaskOut, TaskStatus
from billing.stripe_tasks.models import StripeTask
from billing.webhooks.models import StripeEvent

router = APIRouter(prefix="/v1/admin", tags=["admin"])

# An event that went through is `processed` (as API.md names it), a task `done`.
_STATUSES = {**STATUS_GROUPS, "processed": STATUS_GROUPS["done"]}


@router.get("/stripe-events", response_model=Page[StripeEventOut])
async def list_stripe_events(
    _: Admin, uow: UoW, page: Pagination, status_: Annotated[EventStatus | None, Query(alias="status")] = None,
    payment_intent: Annotated[str | None, Query(max_length=255, pattern="^pi_[A-Za-z0-9_]+$",
                                                description="Only events about this PaymentIntent (it, or its charges and refunds)")] = None,
):
    """Stored Stripe events, newest first: `failed` ones gave up after their attempts and wait
    for a retry by hand. `payment_intent` gives one payment's history (the operator console's
    payment page); it reads the stored payloads, so it is for an operator's look, not a hot path."""
    query = select(StripeEvent)
    if status_ is not None:
        query = query.where(StripeEvent.status.in_(_STATUSES[status_]))
    if payment_intent is not None:
        about = StripeEvent.payload["data"]["object"]
        query = query.where(or_(about["id"].astext == payment_intent, about["payment_intent"].astext == payment_intent))
    items, has_more = await paginate(uow.session, query, created_at=StripeEvent.received_at, id_=StripeEvent.id, params=page)
    return {"data": [StripeEventOut.of(event) for event in items], "has_more": has_more}


@router.post("/stripe-events/{event_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=StripeEventOut)
async def retry_stripe_event(event_id: str, _: Admin, request: Request, uow: UoW):
    """Processes the event again now (a failed one gets a fresh round of attempts). 409
    `already_processed` for one processed before; 404 for an id never received."""
    await _retry(
        request.app.state.stripe_events.queue, event_id,
        missing=NotFound(f"No Stripe event {event_id}.", code="stripe_event_not_found"),
        done=Conflict(f"The Stripe event {event_id} was processed already.", code="already_processed"),
    )
    return StripeEventOut.of(await uow.session.get(StripeEvent, event_id))


@router.get("/stripe-tasks", response_model=Page[StripeTaskOut])
async def list_stripe_tasks(_: Admin, uow: UoW, page: Pagination, status_: Annotated[TaskStatus | None, Query(alias="status")] = None):
    """Stripe work billing decided and does in the background (refunds and cancellations asked for
    by bookings, transfer reversals, PaymentIntents and refunds a request could not finish,
    reconciliation), newest first: `failed` ones wait for a retry by hand."""
    query = select(StripeTask)
    if status_ is not None:
        query = query.where(StripeTask.status.in_(_STATUSES[status_]))
    items, has_more = await paginate(uow.session, query, created_at=StripeTask.created_at, id_=StripeTask.id, params=page)
    return {"data": [StripeTaskOut.of(task) for task in items], "has_more": has_more}


@router.post("/stripe-tasks/{task_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=StripeTaskOut)
async def retry_stripe_task(task_id: str, _: Admin, request: Request, uow: UoW):
    """Does the task again now (a failed one gets a fresh round of attempts). 409 `already_done`
    for one done before; 404 for an unknown id."""
    await _retry(
        request.app.state.stripe_tasks.queue, task_id,
        missing=NotFound(f"No Stripe task {task_id}.", code="stripe_task_not_found"),
        done=Conflict(f"The Stripe task {task_id} was done already.", code="already_done"),
    )
    return StripeTaskOut.of(await uow.session.get(StripeTask, task_id))


async def _retry(queue: WorkQueue, item_id: str, *, missing: NotFound, done: Conflict) -> None:
    was = await queue.retry(item_id)
    if was is None:
        raise missing
    if was == DONE:
        raise done
