import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import StreamingResponse

from settle_kit.auth import CurrentPrincipal
from settle_kit.openapi import problems
from settle_kit.service import Db, UoW

from messaging.attachments import service
from messaging.attachments.schemas import AttachmentLinks, AttachmentOut

router = APIRouter(tags=["attachments"])


@router.post("/v1/attachments", status_code=status.HTTP_201_CREATED, response_model=AttachmentOut, responses=problems(413))
async def upload_attachment(
    request: Request, caller: CurrentPrincipal, db: Db,
    file: Annotated[UploadFile, File(description="The file, at most 25 MiB; its content type is checked against its bytes")],
):
    """Keeps a file for a message of yours: usable once, by you, in one message (`attachment_ids`)."""
    settings = request.app.state.settings
    scanned = await asyncio.to_thread(service.scan, file.file, file.content_type, settings.max_attachment_bytes)
    key = service.new_key()
    await service.store(request.app.state.attachments, file.file, scanned, key)
    attachment = await service.record(db, caller, service.clean_name(file.filename), scanned, key)
    return AttachmentOut(**attachment.summary(), sha256=attachment.sha256, created_at=attachment.created_at)


@router.get("/v1/messages/{message_id}/attachments", response_model=AttachmentLinks, responses=problems(402))
async def attachment_links(message_id: str, request: Request, caller: CurrentPrincipal, uow: UoW):
    """Short-lived signed download links, for the sender and buyers of a paid message (every
    participant of an unpaid one); 402 `payment_required` for a participant who has not bought it."""
    data = await service.download_links(uow, caller, message_id, request.app.state.settings)
    return AttachmentLinks(data=data)


@router.get("/files/{attachment_id}", include_in_schema=False)
async def download(
    attachment_id: str, request: Request, db: Db,
    expires: Annotated[str, Query(max_length=20)] = "", signature: Annotated[str, Query(max_length=100)] = "",
):
    """The bytes behind a signed link (no token: the link is the permission); 403 once expired or altered."""
    attachment = await service.for_download(db, attachment_id, expires, signature, request.app.state.settings)
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.name)}",
        "Content-Length": str(attachment.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(request.app.state.attachments.read(attachment.storage_key), media_type=attachment.content_type, headers=headers)
