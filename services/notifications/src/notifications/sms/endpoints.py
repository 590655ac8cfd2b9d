from fastapi import APIRouter

from settle_kit.auth import CurrentPrincipal
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from notifications.sms.repository import SmsRepository
from notifications.sms.schemas import SmsOut

router = APIRouter(prefix="/v1/sms", tags=["notifications"])


@router.get("", response_model=Page[SmsOut])
async def list_sms(caller: CurrentPrincipal, uow: UoW, page: Pagination):
    """Texts sent on the caller's behalf (those they asked for, and their own booking texts), newest first."""
    items, has_more = await SmsRepository(uow.session).page_for(caller.user_id, page)
    return {"data": [SmsOut.model_validate(item) for item in items], "has_more": has_more}
