"""Billing's read of messaging's internal API: who belongs to a conversation or a project, asked
only when billing's own copy (kept from messaging's events) does not know yet.

Authenticated as the service `billing`; short timeouts, since a request waits on it. Reads are
repeated once when the connection could not be made (nothing was asked yet)."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from settle_kit.auth import mint_token
from settle_kit.models import utcnow

if TYPE_CHECKING:
    from fastapi import FastAPI

    from settle_kit.db import Database

TOKEN_TTL = timedelta(hours=1)
# What messaging's ids are made of; anything else names nothing there and is not asked about.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class MessagingUnavailable(Exception):
    """Messaging could not be asked (unreachable, slow, or failing)."""


@dataclass(frozen=True)
class ConversationMembers:
    project_id: str | None
    participant_ids: frozenset[str]


class MessagingClient:
    def __init__(self, base_url: str, jwt_secret: str, timeout_s: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 1.0)))
        self._secret = jwt_secret
        self._token: tuple[str, Any] | None = None

    async def close(self) -> None:
        await self._http.aclose()

    async def conversation(self, conversation_id: str) -> ConversationMembers | None:
        """None: messaging has no such conversation."""
        if not _ID.fullmatch(conversation_id):
            return None
        body = await self._get(f"/internal/conversations/{conversation_id}/membership")
        return None if body is None else ConversationMembers(body["project_id"], frozenset(body["participant_ids"]))

    async def project_members(self, project_id: str) -> frozenset[str] | None:
        """None: messaging has no such project."""
        if not _ID.fullmatch(project_id):
            return None
        body = await self._get(f"/internal/projects/{project_id}/members")
        return None if body is None else frozenset(body["member_ids"])

    async def _get(self, path: str) -> dict | None:
        headers = {"Authorization": f"Bearer {self._service_token()}"}
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(2), wait=wait_fixed(0.1), retry=retry_if_exception_type(httpx.ConnectError), reraise=True
            ):
                with attempt:
                    response = await self._http.get(path, headers=headers)
        except httpx.HTTPError as exc:
            raise MessagingUnavailable(f"GET {path}: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MessagingUnavailable(f"GET {path}: {response.status_code} {response.text[:200]}")
        return response.json()

    def _service_token(self) -> str:
        now = utcnow()
        if self._token is None or self._token[1] - now < TOKEN_TTL / 2:
            self._token = mint_token(self._secret, "billing", "service", ttl=TOKEN_TTL)
        return self._token[0]


# The client of each running app, found by its database (what a unit of work carries), so the
# payment code needs nothing more than its unit of work to ask messaging.
_clients: weakref.WeakKeyDictionary[Database, MessagingClient] = weakref.WeakKeyDictionary()


def client_for(db: Database) -> MessagingClient:
    return _clients[db]


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    _clients[app.state.db] = MessagingClient(settings.messaging_url, settings.jwt_secret.get_secret_value(), settings.messaging_timeout_s)


async def stop(app: FastAPI) -> None:
    client = _clients.pop(app.state.db, None)
    if client is not None:
        await client.close()
