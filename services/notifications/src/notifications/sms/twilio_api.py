"""Twilio through its official SDK (async), pointed at `TWILIO_API_BASE`, with our own rules:

- no retries inside the SDK's HTTP client (it would resend a POST after a 5xx: a second SMS);
  the sender's queue retries, knowing what may have gone out;
- a timeout on every call (`NOTIFICATIONS_TWILIO_TIMEOUT_S`);
- a circuit breaker (settle_kit.breaker): after repeated timeouts or 5xx, calls fail at once for a
  while instead of each waiting out its timeout against a Twilio that is down.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from settle_kit.breaker import OutsideService

from notifications.config import Settings

REAL_API = "https://api.twilio.com"


def _rebase(url: str, api_base: str) -> str:
    """The SDK builds https://<product>.twilio.com/... URLs; every one goes to `api_base`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(api_base.rstrip("/"))
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))


class TwilioHttp(AsyncTwilioHttpClient):
    """The SDK's aiohttp client, without its retry wrapper (`max_retries` unset), with a timeout."""

    def __init__(self, api_base: str, timeout_s: float) -> None:
        super().__init__(timeout=timeout_s)
        self.api_base = api_base
        self.timeout_s = timeout_s

    async def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False) -> Response:
        if self.api_base.rstrip("/") != REAL_API:
            url = _rebase(url, self.api_base)
        # The SDK's async client ignores its own default timeout; every call gets ours.
        return await super().request(method, url, params, data, headers, auth, timeout or self.timeout_s, allow_redirects)


def transient(exc: BaseException) -> bool:
    """A failure of Twilio itself (for the breaker), not a refusal of one message."""
    if isinstance(exc, TwilioRestException):
        return exc.status >= 500
    return isinstance(exc, (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError))


class Twilio:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.http = TwilioHttp(settings.twilio_api_base, settings.twilio_timeout_s)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), http_client=self.http)
        self.service = OutsideService(
            "twilio", failure_threshold=settings.twilio_breaker_threshold, reset_after_s=settings.twilio_breaker_reset_s,
            is_failure=transient, code="twilio_unavailable",
        )

    async def send(self, to: str, body: str, status_callback: str) -> MessageInstance:
        async with self.service.call():
            return await self.client.messages.create_async(
                to=to, from_=self.settings.twilio_from_number, body=body, status_callback=status_callback
            )

    async def sent_since(self, to: str, body: str, since: datetime) -> list[MessageInstance]:
        """Messages we sent to `to` with this body since `since`, oldest first: where an earlier
        attempt whose answer was lost shows up."""
        async with self.service.call():
            recent = await self.client.messages.list_async(to=to, limit=50)
        earliest = since - timedelta(minutes=1)  # clocks differ a little
        found = [
            m for m in recent
            if (m.direction or "").startswith("outbound") and m.body == body and (m.date_created is None or m.date_created >= earliest)
        ]
        return sorted(found, key=lambda m: m.date_created or since)

    async def close(self) -> None:
        await self.http.close()
