"""Asking for a text: the SMS row (its id fixed by its cause) and its place in the sender's
queue, written in the asking transaction. What can never be sent is decided here, at once."""

from __future__ import annotations

from dataclasses import dataclass

from settle_kit.bus.uow import UnitOfWork
from settle_kit.work_queue import wake_after_commit

from notifications.clock import Clock
from notifications.config import Settings
from notifications.contacts.repository import ContactRepository
from notifications.phones import NotTextable, textable_e164
from notifications.quiet_hours import next_allowed
from notifications.segments import MAX_SEGMENTS, count_segments
from notifications.sms import outcomes
from notifications.sms.models import Sms
from notifications.sms.repository import SmsRepository
from notifications.sms.status import DEFERRED, FAILED, QUEUED, SUPPRESSED

SEND_QUEUE = "sms"


@dataclass(frozen=True)
class TextRequest:
    sms_id: str
    body: str
    kind: str
    to_phone: str | None = None
    to_user_id: str | None = None
    requested_by: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None


class Refused(Exception):
    """A text that can never be sent: recorded `failed` (or `suppressed`) with this code."""

    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class TextRequests:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def ask(self, uow: UnitOfWork, request: TextRequest) -> bool:
        """Records the text and queues it; False when its id was already asked for (once only)."""
        if await uow.session.get(Sms, request.sms_id) is not None:
            return False
        now = self.clock.now()
        phone, refused = await self._recipient(uow, request)
        segments = count_segments(request.body)
        if refused is None and segments > MAX_SEGMENTS:
            refused = Refused(FAILED, "too_many_segments", f"The text takes {segments} segments; at most {MAX_SEGMENTS} are sent.")
        if refused is None and await ContactRepository(uow.session).is_opted_out(phone):
            refused = Refused(SUPPRESSED, "opted_out", "The number has opted out of texts (STOP).")
        deferred_until = next_allowed(now, phone, request.kind) if refused is None else None
        sms = Sms(
            id=request.sms_id, to_phone=phone, to_user_id=request.to_user_id, body=request.body, segments=segments,
            kind=request.kind, status=DEFERRED if deferred_until else QUEUED, requested_by=request.requested_by,
            reference_type=request.reference_type, reference_id=request.reference_id, created_at=now, updated_at=now,
            deferred_until=deferred_until,
        )
        if refused is not None:
            outcomes.move(uow, sms, refused.status, now, error_code=refused.code, error_message=refused.message)
        uow.session.add(sms)
        if refused is None:
            await SmsRepository(uow.session).enqueue(sms.id, deferred_until or now)
            wake_after_commit(uow, SEND_QUEUE)
        return True

    async def _recipient(self, uow: UnitOfWork, request: TextRequest) -> tuple[str | None, Refused | None]:
        if request.to_user_id is not None:
            contact = await ContactRepository(uow.session).get(request.to_user_id)
            if contact is None:
                return None, Refused(SUPPRESSED, "no_contact", "The user has not registered a phone number.")
            return contact.phone, None
        try:
            return textable_e164(request.to_phone or "", allow_test_numbers=self.settings.is_development), None
        except NotTextable as exc:
            return (request.to_phone or "")[:40], Refused(FAILED, "invalid_phone", str(exc))
