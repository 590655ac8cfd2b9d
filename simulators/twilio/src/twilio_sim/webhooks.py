"""Signed form-encoded POSTs to the platform: status callbacks and inbound messages."""

from __future__ import annotations

import logging
import uuid

import httpx

from twilio_sim.config import Settings
from twilio_sim.signing import twilio_signature
from twilio_sim.store import Store, WebhookAttempt

log = logging.getLogger("twilio_sim.webhooks")


class WebhookSender:
    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        # No retries: Twilio does not retry status callbacks either, and tests rely on exact counts.
        self.client = httpx.AsyncClient(timeout=10.0)

    async def post(self, kind: str, url: str, params: dict[str, str], message_sid: str) -> WebhookAttempt:
        signature = twilio_signature(self.settings.auth_token, url, params.items())
        attempt = WebhookAttempt(kind=kind, url=url, params=dict(params), signature=signature, message_sid=message_sid)
        self.store.webhooks.append(attempt)
        headers = {
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        try:
            response = await self.client.post(url, data=params, headers=headers)
            attempt.response_status = response.status_code
            attempt.response_body = response.text
        except httpx.HTTPError as error:
            attempt.error = f"{type(error).__name__}: {error}"
            log.warning("%s to %s failed: %s", kind, url, attempt.error)
        return attempt

    async def aclose(self) -> None:
        await self.client.aclose()
