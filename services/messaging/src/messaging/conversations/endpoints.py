from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from settle_kit.auth import CurrentPrincipal
from settle_kit.pagination import Page, Pagination
from settle_kit.service import UoW

from messaging.conversations import service
from messaging.conversations.schemas import ConversationCreate, ConversationOut

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationOut)
async def create_conversation(body: ConversationCreate, caller: CurrentPrincipal, uow: UoW):
    conversation = await service.create_conversation(uow, caller, body.participant_ids, body.project_id)
    await uow.commit()
    return conversation


@router.get("", response_model=Page[ConversationOut])
async def list_conversations(
    caller: CurrentPrincipal,
    uow: UoW,
    page: Pagination,
    include_hidden: Annotated[bool, Query(description="Also the conversations the caller hid")] = False,
):
    conversations, has_more = await service.list_conversations(uow, caller, page, include_hidden=include_hidden)
    return Page(data=[ConversationOut.seen_by(c, caller.user_id) for c in conversations], has_more=has_more)


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: str, caller: CurrentPrincipal, uow: UoW):
    conversation = await service.visible_conversation(uow, caller, conversation_id)
    return ConversationOut.seen_by(conversation, caller.user_id)


@router.post("/{conversation_id}/hide", status_code=status.HTTP_204_NO_CONTENT)
async def hide_conversation(conversation_id: str, caller: CurrentPrincipal, uow: UoW) -> Response:
    await service.set_hidden(uow, caller, conversation_id, hidden=True)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{conversation_id}/unhide", status_code=status.HTTP_204_NO_CONTENT)
async def unhide_conversation(conversation_id: str, caller: CurrentPrincipal, uow: UoW) -> Response:
    await service.set_hidden(uow, caller, conversation_id, hidden=False)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
