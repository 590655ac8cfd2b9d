"""What operators see of texting (admin only): every text sent, whoever asked for it, and the
numbers that opted out (a number, not a user, opts out: see contacts.models.OptOut)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.pagination import Page, Pagination, paginate
from settle_kit.service import UoW

from notifications.contacts.models import OptOut
from notifications.sms.models import Sms
from notifications.sms.schemas import SmsOut

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class AdminSmsOut(SmsOut):
    requested_by: str | None


class OptOutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    phone: str
    source: str = Field(description="`keyword` (they texted STOP) or `twilio_21610` (Twilio refused to text them)")
    created_at: datetime


@router.get("/sms", response_model=Page[AdminSmsOut])
async def list_all_sms(
    _: Admin, uow: UoW, page: Pagination, status: Annotated[str | None, Query(max_length=20, pattern="^[a-z]+$")] = None,
    reference_id: Annotated[str | None, Query(max_length=64, description="Only texts about this (e.g. an invoice's id)")] = None,
):
    """Every text, newest first; `status` narrows to one (e.g. `failed`), `reference_id` to what
    they were about (an invoice's texts: its payment links and reminders)."""
    query = select(Sms)
    if status is not None:
        query = query.where(Sms.status == status)
    if reference_id is not None:
        query = query.where(Sms.reference_id == reference_id)
    items, has_more = await paginate(uow.session, query, created_at=Sms.created_at, id_=Sms.id, params=page)
    return {"data": [AdminSmsOut.model_validate(item) for item in items], "has_more": has_more}


@router.get("/opt-outs", response_model=Page[OptOutOut])
async def list_opt_outs(_: Admin, uow: UoW, page: Pagination):
    """Numbers that must not be texted, newest first."""
    items, has_more = await paginate(uow.session, select(OptOut), created_at=OptOut.created_at, id_=OptOut.phone, params=page)
    return {"data": [OptOutOut.model_validate(item) for item in items], "has_more": has_more}
