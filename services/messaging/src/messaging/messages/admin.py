"""What operators see of messaging (admin only): a payment's receipts, the system messages its
outcomes left in its conversation (the operator console's payment page). Only those: an admin is
no participant, and people's own messages stay theirs."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.service import UoW

from messaging.messages.repository import MessageRepository
from messaging.messages.schemas import ReceiptOut

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class Receipts(BaseModel):
    data: list[ReceiptOut]


@router.get("/receipts", response_model=Receipts)
async def list_receipts(
    _: Admin, uow: UoW,
    payment_id: Annotated[str, Query(max_length=40, pattern="^pay_[A-Za-z0-9_]+$", description="The payment (`pay_…`) whose receipts to list")],
):
    """A payment's receipts, oldest first: its success or failure, then each refund (one outcome
    and its refunds, so no pages). Not indexed by payment: for an operator's look, not a hot path."""
    receipts = await MessageRepository(uow.session).receipts_of(payment_id)
    return {"data": [ReceiptOut.model_validate(message) for message in receipts]}
