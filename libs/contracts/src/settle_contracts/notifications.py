"""Events of the notifications service: how another service asks for a text, and what became of it.

Asking: emit `SmsRequested` through your unit of work (the outbox), never call Twilio yourself.
The SMS it asks for has the id `SmsRequested.sms_id(envelope.id)` (`uow.emit` returns the
envelope), so the asker knows it at once and a redelivered request asks once. Either `to_phone`
(anyone, e.g. an invoice's customer) or `to_user_id` (a user whose contact notifications holds;
no contact → the SMS is `suppressed`, `no_contact`) names the recipient.

Outcomes (`notifications.sms.sent` / `.delivered` / `.failed` / `.suppressed`) carry the SMS id,
the asker's `requested_by`, `reference_type` and `reference_id`, so the asker filters on its own
references. `notifications.sms.received` is a reply to a text (not a STOP/START/HELP keyword),
with the SMS it answers: the latest one sent to that number.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from settle_contracts.envelope import Event

# `reminder`s wait for the recipient's daytime (08:00-21:00 in the number's time zone);
# `confirmation`s and `notice`s go at once.
SmsKind = Literal["confirmation", "reminder", "notice"]
# The longest body Twilio takes (10 segments is our own, stricter limit).
MAX_BODY = 1600


def sms_id(*cause: str) -> str:
    """The id of the SMS a cause asks for (an event id, a template, a recipient): asked again, the
    same id, so it is one SMS."""
    return "sms_" + hashlib.sha256("\n".join(cause).encode()).hexdigest()[:32]


class SmsRequested(Event):
    """Please text `body` to `to_phone` (E.164, e.g. `+14155552671`) or to the user `to_user_id`.

    A body over 10 segments (GSM-7 160/153 characters, else UCS-2 70/67) or an invalid number is
    not sent: the SMS is recorded `failed` (`too_many_segments`, `invalid_phone`) and
    `notifications.sms.failed` says so."""

    event_type = "notifications.sms.requested"
    to_phone: str | None = None
    to_user_id: str | None = None
    body: str = Field(min_length=1, max_length=MAX_BODY)
    kind: SmsKind
    # Whose text it is: `GET /v1/sms` shows it to this user (the issuer of an invoice).
    requested_by: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> SmsRequested:
        if (self.to_phone is None) == (self.to_user_id is None):
            raise ValueError("give exactly one of to_phone and to_user_id")
        return self

    @staticmethod
    def sms_id(event_id: uuid.UUID | str) -> str:
        """The id of the SMS the request whose envelope id is `event_id` asks for."""
        return sms_id(str(event_id), "requested")


class SmsOutcome(Event):
    sms_id: str
    to: str | None
    kind: SmsKind
    requested_by: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None


class SmsSent(SmsOutcome):
    """Twilio accepted the text (`twilio_sid`)."""

    event_type = "notifications.sms.sent"
    twilio_sid: str | None
    segments: int
    sent_at: datetime


class SmsDelivered(SmsOutcome):
    """The carrier reported the text delivered."""

    event_type = "notifications.sms.delivered"
    twilio_sid: str | None
    delivered_at: datetime


class SmsFailed(SmsOutcome):
    """The text did not and will not reach the phone. `status` `failed` (refused by Twilio, e.g.
    21211 invalid number, 21614 not a mobile, or by us: `too_many_segments`, `invalid_phone`) or
    `undelivered` (the carrier gave up, e.g. 30003, 30005, 30007, 30008)."""

    event_type = "notifications.sms.failed"
    status: Literal["failed", "undelivered"]
    error_code: str | None = None
    error_message: str | None = None
    failed_at: datetime


class SmsSuppressed(SmsOutcome):
    """Not sent on purpose: the number opted out (STOP, or Twilio's 21610), or the user has no
    contact (`no_contact`)."""

    event_type = "notifications.sms.suppressed"
    error_code: str
    suppressed_at: datetime


class SmsReceived(Event):
    """Someone texted back (not a STOP/START/HELP keyword). `in_reply_to` is the latest SMS sent to
    that number, with its asker's references (None when we never texted it)."""

    event_type = "notifications.sms.received"
    reply_id: str
    from_phone: str
    body: str
    received_at: datetime
    in_reply_to: str | None = None
    requested_by: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
