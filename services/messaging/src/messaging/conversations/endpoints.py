from fastapi import APIRouter, status

from settle_kit.auth import CurrentPrincipal
from settle_kit.service import UoW

from messaging.conversations import service
from messaging.conversations.schemas import ConversationCreate, ConversationOut

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationOut)
async def create_conversation(body: ConversationCreate, caller: CurrentPrincipal, uow: UoW):
    conversation = await service.create_conversation(uow, caller, body.participant_ids, body.project_id)
    await uow.commit()
    return conversation


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: str, caller: CurrentPrincipal, uow: UoW):
    return await service.visible_conversation(uow, caller, conversation_id)
