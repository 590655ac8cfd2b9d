from fastapi import APIRouter, status

from settle_kit.auth import CurrentPrincipal
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from messaging.messages import service
from messaging.messages.schemas import MessageCreate, MessageOut

router = APIRouter(prefix="/v1/conversations/{conversation_id}/messages", tags=["messages"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MessageOut)
async def post_message(conversation_id: str, body: MessageCreate, caller: CurrentPrincipal, uow: UoW):
    message = await service.post_message(uow, caller, conversation_id, body)
    await uow.commit()
    return message


@router.get("", response_model=Page[MessageOut])
async def list_messages(conversation_id: str, caller: CurrentPrincipal, uow: UoW, page: Pagination):
    messages, has_more = await service.list_messages(uow, caller, conversation_id, page)
    return Page(data=messages, has_more=has_more)
