"""The sender: the kit's work queue (settle_kit.work_queue) over `sms_sends`, one item per SMS.

No database transaction or pooled connection is held while Twilio is called. Each send:
1. decides in a short transaction (settled already? opted out? quiet hours? an earlier attempt
   whose answer was lost?) and marks the SMS `sending` with the attempt's start, committed;
2. calls Twilio (status callback URL carrying our SMS id);
3. records the answer in a second transaction.

Exactly once: Twilio has no idempotency key. If the process dies between 2 and 3 (or the call
times out) the SMS stays `sending`; it is not sent again until Twilio's callbacks, which name our
SMS id, have stayed silent for `NOTIFICATIONS_UNCONFIRMED_RETRY_AFTER_S`, and even then Twilio's
list of messages to that number is searched first. After a 5xx (Twilio may have taken it anyway)
the search alone comes first. 429, 5xx, timeouts and connection errors are retried with
back-off; a refusal of the message (21211, 21408, 21612, 21614, …) is final (`failed` with its
code); 21610 opts the number out (`suppressed`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from settle_kit.bus.uow import UnitOfWork
from settle_kit.db import Database
from settle_kit.errors import ServiceUnavailable
from settle_kit.work_queue import ALREADY_DONE, Backoff, Outcome, WorkQueue

from notifications.clock import Clock
from notifications.config import Settings
from notifications.contacts.repository import ContactRepository
from notifications.quiet_hours import next_allowed
from notifications.sms import outcomes
from notifications.sms.models import Sms, SmsSend
from notifications.sms.repository import SmsRepository
from notifications.sms.requests import SEND_QUEUE
from notifications.sms.status import DEFERRED, FAILED, FINAL, FROM_TWILIO, SENDING, SENT, SUPPRESSED, moves_forward
from notifications.sms.twilio_api import Twilio

log = logging.getLogger(__name__)

OPTED_OUT = 21610
# Twilio errors that are about Twilio or our account, not this message: worth another try.
_RETRY_STATUSES = {401, 403, 429}


class SendLater(Exception):
    """This attempt did not send; the queue tries again after its back-off."""


def status_callback_url(public_url: str, sms_id: str) -> str:
    return f"{public_url.rstrip('/')}/v1/webhooks/twilio/status?sms_id={sms_id}"


class SmsSender:
    def __init__(self, settings: Settings, db: Database, twilio: Twilio, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.twilio = twilio
        self.clock = clock
        self.unconfirmed_wait = timedelta(seconds=settings.unconfirmed_retry_after_s)
        self.queue = WorkQueue(
            SEND_QUEUE, db, SmsSend, handle=self.send_one, batch=2 * settings.send_concurrency,
            concurrency=settings.send_concurrency, poll_interval_s=settings.send_poll_interval_s,
            lease_s=settings.send_lease_s, max_attempts=settings.send_max_attempts,
            backoff=Backoff(base_s=1.0, cap_s=300.0), clock=clock.now,
        )

    async def run(self) -> None:
        await self.queue.run()

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.settings.service_name)

    async def send_one(self, item: SmsSend) -> Outcome:
        decision = await self._decide(item)
        if not isinstance(decision, Sms):
            return decision
        sms = decision
        if sms.unconfirmed_since is not None and (outcome := await self._adopt_lost_attempt(sms)):
            return outcome
        try:
            message = await self.twilio.send(sms.to_phone, sms.body, status_callback_url(self.settings.public_url, sms.id))
        except TwilioRestException as exc:
            return await self._refused(sms, exc)
        except ServiceUnavailable:
            await self._not_sent(sms)  # the breaker is open: nothing left this process
            raise
        except aiohttp.ClientConnectorError:
            await self._not_sent(sms)
            raise
        except (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            # The request may have reached Twilio: the SMS stays `sending`, resolved as a lost answer.
            raise SendLater(f"no answer from Twilio: {exc!r}") from exc
        await self._record(sms.id, SENT, twilio_sid=message.sid)
        return "sent"

    async def _decide(self, item: SmsSend) -> Sms | Outcome:
        """Step 1. The SMS to send now (marked `sending`, committed), or the item's outcome."""
        now = self.clock.now()
        async with self._uow() as uow:
            sms = await SmsRepository(uow.session).locked(item.id)
            if sms is None or sms.status in FINAL or sms.status == SENT:
                return "settled"
            if sms.status == SENDING and sms.attempt_started_at is not None:
                # The last attempt's answer was lost: Twilio's callbacks get the time to tell.
                wait_until = sms.attempt_started_at + self.unconfirmed_wait
                if now < wait_until:
                    await SmsRepository(uow.session).reschedule(item, wait_until)
                    await uow.commit()
                    return ALREADY_DONE
                sms.unconfirmed_since = sms.unconfirmed_since or sms.attempt_started_at
            if await ContactRepository(uow.session).is_opted_out(sms.to_phone):
                outcomes.move(uow, sms, SUPPRESSED, now, error_code="opted_out", error_message="The number has opted out of texts (STOP).")
                await uow.commit()
                return "suppressed"
            if (later := next_allowed(now, sms.to_phone, sms.kind)) is not None:
                if moves_forward(sms.status, DEFERRED) or sms.status == DEFERRED:
                    sms.status = DEFERRED
                sms.deferred_until, sms.updated_at = later, now
                await SmsRepository(uow.session).reschedule(item, later)
                await uow.commit()
                return ALREADY_DONE
            sms.status, sms.attempt_started_at, sms.updated_at = SENDING, now, now
            await uow.commit()
            return sms

    async def _adopt_lost_attempt(self, sms: Sms) -> Outcome:
        """An earlier attempt may have reached Twilio: if Twilio lists it, it is this SMS."""
        try:
            candidates = await self.twilio.sent_since(sms.to_phone, sms.body, sms.unconfirmed_since)
        except (TwilioRestException, ServiceUnavailable, TimeoutError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            await self._not_sent(sms)
            raise SendLater(f"could not search Twilio for an earlier attempt: {exc!r}") from exc
        now = self.clock.now()
        async with self._uow() as uow:
            known = set(await uow.session.scalars(select(Sms.twilio_sid).where(Sms.twilio_sid.in_([m.sid for m in candidates]))))
            found = next((m for m in candidates if m.sid not in known), None)
            row = await SmsRepository(uow.session).locked(sms.id)
            if found is None:
                return None  # not found: send it (the attempt marked in step 1 stands)
            log.info("an attempt whose answer was lost had reached Twilio", extra={"sms_id": sms.id, "twilio_sid": found.sid})
            outcomes.move(uow, row, FROM_TWILIO.get(found.status, SENT), now, twilio_sid=found.sid,
                          error_code=str(found.error_code) if found.error_code else None, error_message=found.error_message)
            row.attempt_started_at = row.unconfirmed_since = None
            await uow.commit()
        return "found"

    async def _refused(self, sms: Sms, exc: TwilioRestException) -> Outcome:
        if exc.status == 429 or exc.status in _RETRY_STATUSES:
            await self._not_sent(sms)
            raise SendLater(f"Twilio answered {exc.status} ({exc.code}): {exc.msg}") from exc
        if exc.status >= 500:
            # Twilio may have taken it even so: the next attempt looks for it first.
            await self._not_sent(sms, maybe_sent=True)
            raise SendLater(f"Twilio answered {exc.status} ({exc.code}): {exc.msg}") from exc
        if exc.code == OPTED_OUT:
            await self._record(sms.id, SUPPRESSED, error_code=str(exc.code), error_message=exc.msg, opt_out=True)
            return "suppressed"
        await self._record(sms.id, FAILED, error_code=str(exc.code or exc.status), error_message=exc.msg)
        return "failed"

    async def _record(self, sms_id: str, status: str, *, twilio_sid: str | None = None, error_code: str | None = None,
                      error_message: str | None = None, opt_out: bool = False) -> None:
        """Step 3: Twilio's answer (a callback may have told us more meanwhile: forward only)."""
        now = self.clock.now()
        async with self._uow() as uow:
            sms = await SmsRepository(uow.session).locked(sms_id)
            if opt_out:
                await ContactRepository(uow.session).opt_out(sms.to_phone, "twilio_21610", now)
            outcomes.move(uow, sms, status, now, twilio_sid=twilio_sid, error_code=error_code, error_message=error_message)
            sms.attempt_started_at = sms.unconfirmed_since = None
            await uow.commit()

    async def _not_sent(self, sms: Sms, *, maybe_sent: bool = False) -> None:
        """The attempt certainly did not send (or, `maybe_sent`, Twilio failed and may have)."""
        async with self._uow() as uow:
            row = await SmsRepository(uow.session).locked(sms.id)
            if row.status == SENDING:
                if maybe_sent:
                    row.unconfirmed_since = row.unconfirmed_since or row.attempt_started_at
                row.attempt_started_at = None
                await uow.commit()
