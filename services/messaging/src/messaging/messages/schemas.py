from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StrictInt, TypeAdapter, ValidationError

from settle_kit.money import Money

from messaging.messages.models import Message

MAX_BODY = 10_000
MAX_ATTACHMENT_BYTES = 10 * 1024**3  # 10 GiB: files live elsewhere; this only bounds the number

_http_url = TypeAdapter(HttpUrl)


def _is_http_url(value: str) -> str:
    try:
        _http_url.validate_python(value)
    except ValidationError:
        raise ValueError("must be an http(s) URL") from None
    return value  # kept as sent, not normalised


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(pattern=r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$", max_length=255, examples=["image/png"])
    size: StrictInt = Field(gt=0, le=MAX_ATTACHMENT_BYTES, description="Bytes")
    url: Annotated[str, Field(max_length=2048), AfterValidator(_is_http_url)]


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(default="", max_length=MAX_BODY, description="1–10,000 characters; may be empty on a paid message")
    attachment_ids: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Your uploads (POST /v1/attachments), each usable in one message"
    )
    attachments: list[Attachment] = Field(
        default_factory=list, max_length=20, description="Links to files held elsewhere (unpaid messages only)"
    )
    price: Money | None = Field(default=None, description="Makes the message paid: its attachments (`attachment_ids`) are for buyers")


class AttachmentShown(BaseModel):
    """An attachment as a message shows it: held by the platform (`id`; fetched through GET
    /v1/messages/{id}/attachments), or a link to a file held elsewhere (`url`)."""

    id: str | None = None
    name: str
    content_type: str
    size: int
    url: str | None = None


class ReceiptOut(BaseModel):
    """A payment's receipt: the system message one of its outcomes posted in its conversation."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    conversation_id: str
    payment_id: str
    body: str
    created_at: datetime


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    sender_id: str
    kind: Literal["text", "system", "paid"]
    body: str
    attachments: list[AttachmentShown] = Field(description="Empty while a paid message is locked for the viewer")
    attachment_count: int
    price: Money | None
    unlocked: bool
    created_at: datetime
    payment_id: str | None = None

    @classmethod
    def seen_by(cls, message: Message, viewer_id: str, bought: bool = False) -> "MessageOut":
        """A paid message's attachments stay hidden from everyone but its sender and its buyers."""
        unlocked = message.kind != "paid" or message.sender_id == viewer_id or bought
        price = Money(amount=message.price_amount, currency=message.price_currency) if message.price_amount is not None else None
        return cls(
            id=message.id,
            conversation_id=message.conversation_id,
            sender_id=message.sender_id,
            kind=message.kind,
            body=message.body,
            attachments=message.attachments if unlocked else [],
            attachment_count=len(message.attachments),
            price=price,
            unlocked=unlocked,
            created_at=message.created_at,
            payment_id=message.payment_id,
        )
