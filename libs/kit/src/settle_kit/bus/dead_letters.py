"""Dead letters kept where an operator can act on them: listed, replayed once more, or discarded.

Why a keeper draining the `{ns}.{svc}.dead` queue into the service's own `dead_letters` table,
rather than the consumer writing the row when it gives up: every way a message reaches the dead
queue is covered alike (retries used up, an undecodable body, a message dead-lettered by an
older release or by hand), a queue is no place to browse, search or mark "discarded by whom",
and the table lives beside the inbox in the database that the service's admin endpoint already
reads. The keeper acks a message only after its row commits, so none is lost; a crash between
the two stores it twice at worst, and a replay goes through the inbox, so that has one effect.

A replay publishes the stored body to the service's own queue (not the events exchange: other
services handled it already), with the attempt counter reset. The consumer claims its event id
in the inbox like any delivery, so replaying twice, or replaying an event handled meanwhile, runs
its handler once. The decision is committed before the publish (no outside call inside a
transaction); if the publish fails the mark is taken back and the operator gets a 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import func, insert, select, update

from settle_kit.auth import AdminPrincipal
from settle_kit.bus.messages import ATTEMPT_HEADER, ERROR_HEADER
from settle_kit.bus.schema import dead_letters
from settle_kit.bus.topology import Topology
from settle_kit.db import Database
from settle_kit.errors import Conflict, NotFound, ServiceUnavailable
from settle_kit.openapi import problems

log = logging.getLogger(__name__)

# Headers of a delivery's history that a replay starts afresh without.
_HISTORY = (ATTEMPT_HEADER, ERROR_HEADER, "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
            "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")


class DeadLetterKeeper:
    """Consumes a service's dead queue and keeps each message as a `dead_letters` row."""

    def __init__(self, service: str, db: Database, topology: Topology, pause_s: float = 1.0) -> None:
        self.pause_s = pause_s
        self.service = service
        self.db = db
        self.topology = topology

    async def start(self, channel: AbstractChannel) -> None:
        await channel.set_qos(prefetch_count=16)
        queue = await channel.declare_queue(self.topology.dead_queue(self.service), durable=True)
        await queue.consume(self.keep)

    async def keep(self, message: AbstractIncomingMessage) -> None:
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(insert(dead_letters).values(**_row(message)))
        except Exception:
            log.warning("could not keep a dead letter; it stays on the dead queue", exc_info=True)
            await asyncio.sleep(self.pause_s)  # the database is away: no tight redelivery loop
            await message.nack(requeue=True)
            return
        await message.ack()


def _row(message: AbstractIncomingMessage) -> dict[str, Any]:
    headers = {k: v for k, v in (message.headers or {}).items() if isinstance(v, str | int | float | bool)}
    error = headers.get(ERROR_HEADER)
    try:
        envelope = json.loads(message.body)
        event_id, type_ = str(envelope.get("id")), envelope.get("type")
    except (ValueError, AttributeError):
        event_id, type_ = None, message.type
    return {
        "id": uuid.uuid4(), "event_id": event_id, "type": type_ if isinstance(type_, str) else None,
        "error": str(error) if error is not None else _death_reason(message), "body": message.body, "headers": headers,
    }


def _death_reason(message: AbstractIncomingMessage) -> str | None:
    deaths = (message.headers or {}).get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return f"{deaths[0].get('reason')} by the broker"
    return None


async def replay(db: Database, publish_channel: AbstractChannel, topology: Topology, service: str, letter_id: uuid.UUID, who: str) -> None:
    async with db.engine.begin() as conn:
        row = (await conn.execute(select(dead_letters).where(dead_letters.c.id == letter_id).with_for_update())).first()
        if row is None:
            raise NotFound(f"No dead letter {letter_id}.", code="dead_letter_not_found")
        if row.discarded_at is not None:
            raise Conflict(f"The dead letter {letter_id} was discarded.", code="dead_letter_discarded")
        await conn.execute(update(dead_letters).where(dead_letters.c.id == letter_id).values(
            replayed_at=func.now(), replayed_by=who))
    message = aio_pika.Message(
        body=row.body, content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=row.event_id, type=row.type, headers={k: v for k, v in row.headers.items() if k not in _HISTORY},
    )
    try:
        await publish_channel.default_exchange.publish(message, routing_key=topology.queue(service))
    except Exception as exc:
        async with db.engine.begin() as conn:
            await conn.execute(update(dead_letters).where(dead_letters.c.id == letter_id).values(
                replayed_at=row.replayed_at, replayed_by=row.replayed_by))
        raise ServiceUnavailable("The bus did not take the message; try again.", retry_after_s=5) from exc


class DeadLetterOut(BaseModel):
    id: uuid.UUID
    service: str
    type: str | None
    event_id: str | None
    dead_at: datetime
    error: str | None
    payload: Any  # the message's JSON, or its text when it is not JSON
    replayed_at: datetime | None
    replayed_by: str | None
    discarded_at: datetime | None
    discarded_by: str | None


class DeadLetterPage(BaseModel):
    data: list[DeadLetterOut]
    has_more: bool


def _out(service: str, row: Any) -> DeadLetterOut:
    text = row.body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = text
    return DeadLetterOut(
        id=row.id, service=service, type=row.type, event_id=row.event_id, dead_at=row.dead_at, error=row.error, payload=payload,
        replayed_at=row.replayed_at, replayed_by=row.replayed_by, discarded_at=row.discarded_at, discarded_by=row.discarded_by,
    )


def router() -> APIRouter:
    """The service's own dead letters, for the gateway's `/v1/admin/dead-letters` (which lists
    every service's and sends a replay or discard to the service the id names)."""
    api = APIRouter(prefix="/internal/dead-letters", tags=["admin"])

    @api.get("", response_model=DeadLetterPage)
    async def list_dead_letters(
        _: AdminPrincipal, request: Request,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        waiting: Annotated[bool, Query(description="Only those neither replayed nor discarded")] = True,
    ):
        db: Database = request.app.state.db
        service = request.app.state.settings.service_name
        query = select(dead_letters).order_by(dead_letters.c.dead_at.desc()).limit(limit + 1)
        if waiting:
            query = query.where(dead_letters.c.replayed_at.is_(None), dead_letters.c.discarded_at.is_(None))
        async with db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return DeadLetterPage(data=[_out(service, row) for row in rows[:limit]], has_more=len(rows) > limit)

    @api.post("/{letter_id}/replay", status_code=status.HTTP_202_ACCEPTED, responses=problems(404, 409, 503))
    async def replay_dead_letter(letter_id: uuid.UUID, admin: AdminPrincipal, request: Request) -> Response:
        bus = request.app.state.bus
        channel = await bus.publish_channel()
        await replay(bus.db, channel, bus.topology, bus.settings.service_name, letter_id, admin.user_id)
        return Response(status_code=status.HTTP_202_ACCEPTED)

    @api.delete("/{letter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
    async def discard_dead_letter(letter_id: uuid.UUID, admin: AdminPrincipal, request: Request) -> Response:
        db: Database = request.app.state.db
        async with db.engine.begin() as conn:
            found = (await conn.execute(
                update(dead_letters).where(dead_letters.c.id == letter_id)
                .values(discarded_at=func.coalesce(dead_letters.c.discarded_at, func.now()),
                        discarded_by=func.coalesce(dead_letters.c.discarded_by, admin.user_id)).returning(dead_letters.c.id)
            )).first()
        if found is None:
            raise NotFound(f"No dead letter {letter_id}.", code="dead_letter_not_found")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
