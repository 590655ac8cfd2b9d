"""Uploads kept by the platform, and the signed links through which they are downloaded.

An upload is read once (size, sha256, content type from its bytes), stored, and only then
recorded, in a short transaction of its own: no transaction is open while storage works. Its row
names a storage key of ours, never the caller's file name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.errors import Forbidden, NotFound, PayloadTooLarge, PaymentRequired, Unprocessable
from settle_kit.models import new_id, utcnow

from messaging.attachments import links, sniff
from messaging.attachments.models import Attachment
from messaging.attachments.schemas import AttachmentLink
from messaging.attachments.storage import CHUNK, Storage
from messaging.config import Settings
from messaging.conversations.repository import ConversationRepository
from messaging.messages.models import Message
from messaging.messages.repository import MessageRepository

MAX_NAME = 255


@dataclass
class Scanned:
    size: int
    sha256: str
    content_type: str


def scan(source: BinaryIO, declared: str | None, max_bytes: int) -> Scanned:
    """Reads the file once: its size (bounded), digest and checked content type; leaves it rewound."""
    head = source.read(8192)
    try:
        content_type = sniff.checked_type(declared, head)
    except sniff.ContentTypeMismatch as exc:
        raise Unprocessable(str(exc), code="content_type_mismatch", field="file") from None
    text = sniff.TextCheck() if sniff.is_text(content_type) else None
    digest, size, chunk = hashlib.sha256(), 0, head
    while chunk:
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"A file may have at most {max_bytes} bytes.", field="file")
        digest.update(chunk)
        if text is not None:
            try:
                text.feed(chunk)
            except sniff.ContentTypeMismatch as exc:
                raise Unprocessable(str(exc), code="content_type_mismatch", field="file") from None
        chunk = source.read(CHUNK)
    if text is not None:
        try:
            text.feed(b"", final=True)
        except sniff.ContentTypeMismatch as exc:
            raise Unprocessable(str(exc), code="content_type_mismatch", field="file") from None
    if size == 0:
        raise Unprocessable("The file is empty.", field="file")
    source.seek(0)
    return Scanned(size=size, sha256=digest.hexdigest(), content_type=content_type)


def clean_name(name: str | None) -> str:
    """The file's own name, without any path or control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_NAME] or "file"


async def record(db: Database, caller: Principal, name: str, scanned: Scanned, key: str) -> Attachment:
    attachment = Attachment(
        id=key, uploader_id=caller.user_id, name=name, content_type=scanned.content_type, size=scanned.size,
        sha256=scanned.sha256, storage_key=key, created_at=utcnow(),
    )
    async with db.sessions() as session:
        session.add(attachment)
        await session.commit()
    return attachment


def new_key() -> str:
    return new_id("att")


async def unused_uploads(uow: UnitOfWork, caller: Principal, ids: list[str]) -> list[Attachment]:
    """The caller's unused uploads named by `ids`, locked until the message taking them commits."""
    if len(set(ids)) != len(ids):
        raise Unprocessable("An attachment is named twice.", field="attachment_ids")
    found = {
        a.id: a
        for a in await uow.session.scalars(
            select(Attachment)
            .where(Attachment.id.in_(ids), Attachment.uploader_id == caller.user_id, Attachment.message_id.is_(None))
            .with_for_update()
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise Unprocessable(
            f"Not an unused upload of yours: {', '.join(missing)}.", code="attachment_unavailable", field="attachment_ids"
        )
    return [found[i] for i in ids]


async def download_links(uow: UnitOfWork, caller: Principal, message_id: str, settings: Settings) -> list[AttachmentLink]:
    """Links to a message's attachments, for its sender and buyers (and every participant when it
    is not paid). A participant who has not bought it: 402; anyone else: 404."""
    message = await uow.session.get(Message, message_id)
    conversation = await ConversationRepository(uow.session).get(message.conversation_id) if message else None
    if conversation is None or caller.user_id not in conversation.participant_ids:
        raise NotFound("No such message.", code="message_not_found")
    if message.kind == "paid" and message.sender_id != caller.user_id:
        bought = await MessageRepository(uow.session).unlocked_for(caller.user_id, [message.id])
        if not bought:
            raise PaymentRequired("Buy this message to see its attachments.", code="payment_required")
    attachments = await uow.session.scalars(
        select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.created_at, Attachment.id)
    )
    now, secret = utcnow(), settings.download_secret.get_secret_value()
    out = []
    for attachment in attachments:
        url, expires_at = links.sign(secret, settings.public_url, attachment.id, now, settings.download_ttl_s)
        out.append(AttachmentLink(**attachment.summary(), download_url=url, expires_at=expires_at))
    return out


async def for_download(db: Database, attachment_id: str, expires: str, signature: str, settings: Settings) -> Attachment:
    """The attachment a link names, if the link is good (403 otherwise)."""
    why = links.verify(settings.download_secret.get_secret_value(), attachment_id, expires, signature, utcnow())
    if why is not None:
        raise Forbidden("This link is expired or not valid; ask for a new one.", code=why)
    async with db.sessions() as session:
        attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.message_id is None:
        raise NotFound("No such file.", code="file_not_found")
    return attachment


async def store(storage: Storage, source: BinaryIO, scanned: Scanned, key: str) -> None:
    await storage.put(key, source, scanned.content_type)
