from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from settle_kit.work_queue import DUE_WHERE, QueuedWork

from notifications.models import Base


class Sms(Base):
    """One text, its id fixed by its cause (`settle_contracts.notifications.sms_id`). `status`
    only moves forward (notifications.sms.status)."""

    __tablename__ = "sms"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # E.164; what was asked for when it is not a number (`failed`); None: a user without a contact.
    to_phone: Mapped[str | None] = mapped_column(String(40))
    to_user_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    reference_type: Mapped[str | None] = mapped_column(String(64))
    reference_id: Mapped[str | None] = mapped_column(String(128))
    twilio_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Quiet hours: not before this instant.
    deferred_until: Mapped[datetime | None]
    # When the last call to Twilio began: an attempt whose answer we never recorded (`sending`)
    # is resolved from Twilio's callbacks, or tried again only well after this.
    attempt_started_at: Mapped[datetime | None]
    # An earlier attempt may have reached Twilio (a 5xx, or one whose answer was lost): before
    # sending again, Twilio's messages to the number since then are searched for it.
    unconfirmed_since: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_sms_requested_by", "requested_by", "created_at", "id"),
        # The SMS a reply answers: the latest one sent to the number.
        Index("ix_sms_to_phone_sent", "to_phone", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
    )


class SmsSend(Base, QueuedWork):
    """The sender's queue (settle_kit.work_queue): one item per SMS still to be sent, same id."""

    __tablename__ = "sms_sends"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_sms_sends_due", "next_attempt_at", postgresql_where=text(DUE_WHERE)),)


class InboundSms(Base):
    """A text someone sent us, once per Twilio message sid (Twilio may post a webhook again)."""

    __tablename__ = "inbound_sms"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_phone: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    # `stop`, `start`, `help`, or None for a reply.
    keyword: Mapped[str | None] = mapped_column(String(10))
    in_reply_to: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime]
