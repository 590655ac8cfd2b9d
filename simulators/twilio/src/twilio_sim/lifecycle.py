"""Moves outbound messages through Twilio's statuses and reports each move to StatusCallback."""

from __future__ import annotations

import asyncio
import logging

from twilio_sim.config import Settings
from twilio_sim.magic_numbers import DEFAULT_SENDER
from twilio_sim.store import API_VERSION, Message, Store, now
from twilio_sim.webhooks import WebhookSender

log = logging.getLogger("twilio_sim.lifecycle")

RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4}
TERMINAL = {"delivered", "undelivered", "failed"}


def path_after(message: Message) -> list[str]:
    """The statuses still ahead of a message, given the outcome chosen for its recipient."""
    end = message.outcome.final_status
    full = ["accepted", "queued", "sending"]
    if end == "failed":
        full += ["failed"]
    elif end == "sent":
        full += ["sent"]
    else:
        full += ["sent", end]
    return [status for status in full if RANK[status] > RANK[message.status]]


class Lifecycle:
    def __init__(self, settings: Settings, store: Store, sender: WebhookSender):
        self.settings = settings
        self.store = store
        self.sender = sender
        self.tasks: set[asyncio.Task] = set()
        # Callbacks held back while reordering is on, flushed newest first when the message settles.
        self.held: dict[str, list[dict[str, str]]] = {}

    def start(self, message: Message) -> None:
        if self.settings.auto_advance:
            self._spawn(self._run(message))

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, message: Message) -> None:
        try:
            for status in path_after(message):
                await asyncio.sleep(self.settings.step_delay)
                await self.advance(message, status)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lifecycle of %s stopped", message.sid)

    async def advance(
        self, message: Message, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> bool:
        """Moves a message forward only; a stale or backward move is ignored, as Twilio never goes back."""
        if RANK.get(status, -1) <= RANK[message.status] or message.status in TERMINAL:
            return False
        message.status = status
        message.history.append(status)
        message.date_updated = now()
        if status == "queued" and message.from_ is None:
            # A Messaging Service picks its sender when it queues the message.
            message.from_ = DEFAULT_SENDER
        if status == "sent" and message.date_sent is None:
            message.date_sent = message.date_updated
        if status in ("undelivered", "failed"):
            message.error_code = error_code or message.outcome.error_code
            message.error_message = error_message or message.outcome.error_message
        await self._report(message)
        return True

    async def _report(self, message: Message) -> None:
        if not message.status_callback:
            return
        params = callback_params(message)
        if self.settings.reorder_callbacks:
            held = self.held.setdefault(message.sid, [])
            held.append(params)
            if not self._settled(message):
                return
            batch = list(reversed(self.held.pop(message.sid)))
        else:
            batch = [params]
        for item in batch:
            for _ in range(2 if self.settings.duplicate_callbacks else 1):
                await self.sender.post("status_callback", message.status_callback, item, message.sid)

    def _settled(self, message: Message) -> bool:
        return message.status in TERMINAL or message.status == message.outcome.final_status

    async def flush_held(self) -> None:
        """Sends callbacks still held for reordering, newest first (for messages that will not move again)."""
        for sid in list(self.held):
            message = self.store.messages.get(sid)
            batch = list(reversed(self.held.pop(sid)))
            if message is None or not message.status_callback:
                continue
            for item in batch:
                await self.sender.post("status_callback", message.status_callback, item, sid)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def callback_params(message: Message) -> dict[str, str]:
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    # Twilio sends ErrorCode only when the message did not make it.
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    return params
