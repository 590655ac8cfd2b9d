"""Billing's read of messaging's internal API: who belongs to a conversation or a project, asked
only when billing's own copy (kept from messaging's events) does not know yet.

Authenticated as the service `billing`; short timeouts, since a request waits on it; a read is
tried at most twice, by the kit's rule for internal calls."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from settle_kit.internal_client import InternalClient, InternalError, InternalUnavailable

if TYPE_CHECKING:
    from fastapi import FastAPI

    from settle_kit.db import Database

# What messaging's ids are made of; anything else names nothing there and is not asked about.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class MessagingUnavailable(Exception):
    """Messaging could not be asked (unreachable, slow, or failing)."""


@dataclass(frozen=True)
class ConversationMembers:
    project_id: str | None
    participant_ids: frozenset[str]


@dataclass
class MessagingClient(InternalClient):
    """Messaging's internal reads of memberships, called through the kit's `InternalClient`
    (service token, short timeouts, repeated only when repeating cannot pile up work)."""

    caller: str = "billing"
    attempts: int = 2

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
        try:
            return await self._call("GET", path)
        except InternalError as exc:
            if exc.status == 404:
                return None
            raise MessagingUnavailable(f"GET {path}: {exc}") from exc
        except InternalUnavailable as exc:
            raise MessagingUnavailable(f"GET {path}: {exc}") from exc


# The client of each running app, found by its database (what a unit of work carries), so the
# payment code needs nothing more than its unit of work to ask messaging.
_clients: weakref.WeakKeyDictionary[Database, MessagingClient] = weakref.WeakKeyDictionary()


def client_for(db: Database) -> MessagingClient:
    return _clients[db]


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    _clients[app.state.db] = MessagingClient(settings.messaging_url, settings.jwt_secret.get_secret_value(), timeout_s=settings.messaging_timeout_s)


async def stop(app: FastAPI) -> None:
    client = _clients.pop(app.state.db, None)
    if client is not None:
        await client.close()
