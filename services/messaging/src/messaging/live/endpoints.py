from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from settle_kit.auth import CurrentPrincipal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound, Unprocessable
from settle_kit.service import Db

from messaging.conversations.repository import ConversationRepository
from messaging.live import feed, stream

router = APIRouter(tags=["conversations"])

EVENT_STREAM = {
    200: {
        "description": "Server-Sent Events: `message.created`, `message.unlocked`, `message.updated`, each with the message "
        "as the viewer may see it; `id:` resumes with `Last-Event-ID`",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get("/v1/conversations/{conversation_id}/events", responses=EVENT_STREAM, response_class=StreamingResponse)
async def conversation_events(
    conversation_id: str, request: Request, caller: CurrentPrincipal, db: Db,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20, description="Resume after this event")] = None,
):
    """The conversation's changes as they commit, for its participants."""
    if last_event_id is not None and not last_event_id.isdigit():
        raise Unprocessable("Last-Event-ID is the id of an event of this stream.", field="Last-Event-ID")
    async with UnitOfWork(db, "messaging") as uow:  # read only, closed before the stream starts
        conversation = await ConversationRepository(uow.session).get(conversation_id)
        if conversation is None or caller.user_id not in conversation.participant_ids:
            raise NotFound("No such conversation.", code="conversation_not_found")
        start = int(last_event_id) if last_event_id is not None else await feed.last_seq(uow.session, conversation_id)
    settings = request.app.state.settings
    events = stream.events(db, request.app.state.feed_hub, conversation_id, caller.user_id, start, keepalive_s=settings.events_keepalive_s)
    return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
