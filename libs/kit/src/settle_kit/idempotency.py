"""`Idempotency-Key` for POSTs that move money, as API.md states.

The key is claimed by inserting a row in the request's own transaction. A concurrent request
with the same key waits on that row until the first commits, then replays its response; if the
first rolled back, the second proceeds. The same key with another body is a 409
`idempotency_key_reused`. Keys are per caller and kept at least 24 hours.

Work that calls an outside service commits its decision (and so the claim) before the call and
stores the response after it. A key claimed without a stored response (the call did not finish:
Stripe was unreachable and the request answered 503) has no final answer yet: a retry runs the
request again, and the request finds its own decision by the ids it derives from the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB

from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import PROBLEM_JSON, Conflict, ProblemError
from settle_kit.models import stable_id

metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("operation", Text, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Text, so it is compiled once (SQLAlchemy does not cache an INSERT .. ON CONFLICT .. RETURNING).
_CLAIM = text(
    "INSERT INTO idempotency_keys (principal, key, operation, request_hash) VALUES (:principal, :key, :operation, :request_hash) "
    "ON CONFLICT DO NOTHING RETURNING key"
)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, description="Replays the first response for the same body"),
]


def create_idempotency_table() -> None:
    """Alembic step for services whose POSTs move money."""
    from alembic import op

    metadata.create_all(op.get_bind(), tables=[idempotency_keys])


def fingerprint(operation: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


@dataclass
class IdempotentRequest:
    uow: UnitOfWork
    principal: str
    key: str | None
    replay: JSONResponse | None = None

    async def respond(self, status_code: int, response: Any) -> Any:
        """Stores the response in the transaction of the work it describes, commits both, and
        returns the response: a replay can never see a response whose work rolled back."""
        if self.key is not None:
            await self.uow.session.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.principal == self.principal, idempotency_keys.c.key == self.key)
                .values(status_code=status_code, response=jsonable_encoder(response))
            )
        await self.uow.commit()
        return response

    async def refuse(self, error: ProblemError) -> ProblemError:
        """Stores a refusal as the key's final answer (with the work that recorded it), commits,
        and returns the error for the caller to raise: a retry gets the same problem."""
        if self.key is not None:
            await self.uow.session.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.principal == self.principal, idempotency_keys.c.key == self.key)
                .values(status_code=error.status, response=error.body())
            )
        await self.uow.commit()
        return error


async def begin(uow: UnitOfWork, caller: Principal, key: str | None, operation: str, body: Any) -> IdempotentRequest:
    request = IdempotentRequest(uow, caller.user_id, key)
    if key is None:
        return request
    request_hash = fingerprint(operation, body)
    claimed = await uow.session.scalar(
        _CLAIM, {"principal": caller.user_id, "key": key, "operation": operation, "request_hash": request_hash}
    )
    if claimed is not None:
        return request
    stored = (
        await uow.session.execute(
            select(idempotency_keys).where(idempotency_keys.c.principal == caller.user_id, idempotency_keys.c.key == key)
        )
    ).one()
    if stored.request_hash != request_hash:
        raise Conflict(
            "This Idempotency-Key was used with a different request.", code="idempotency_key_reused"
        )
    if stored.status_code is None:
        return request  # committed without an answer: the request runs again (see above)
    request.replay = JSONResponse(
        stored.response,
        status_code=stored.status_code,
        headers={"Idempotent-Replayed": "true"},
        media_type=PROBLEM_JSON if stored.status_code >= 400 else None,
    )
    return request


def derived_id(prefix: str, caller: Principal, key: str | None, fallback: str) -> str:
    """A resource id fixed by (caller, key): a retry after a lost response makes the same id, so
    the Stripe idempotency key derived from it replays instead of charging twice."""
    return fallback if key is None else stable_id(prefix, caller.user_id, key)
