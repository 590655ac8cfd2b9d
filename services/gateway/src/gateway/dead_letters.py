"""`/v1/admin/dead-letters`: every service's dead letters in one list, and replay or discard of one.

Each service keeps its own (settle_kit.bus.dead_letters, served at `/internal/dead-letters`);
the gateway asks them all at once and merges the answers newest first, so an operator needs no
idea which service a message died in. A public id is `<service>.<uuid>`: the prefix says where a
replay or discard goes, with no lookup. The caller's token goes along, and each service checks it
is an admin's again.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from settle_kit.auth import AdminPrincipal
from settle_kit.errors import PROBLEM_JSON, Conflict, NotFound, ServiceUnavailable
from settle_kit.openapi import problems

SERVICES = ("billing", "bookings", "messaging", "notifications")
ServiceName = Literal["billing", "bookings", "messaging", "notifications"]
# Answered by the services and passed on as they come (listed here for the document's codes):
_PASSED_ON = (NotFound(code="dead_letter_not_found"), Conflict(code="dead_letter_discarded"))

router = APIRouter(prefix="/v1/admin/dead-letters", tags=["admin"])


class DeadLetter(BaseModel):
    id: str
    service: str
    type: str | None
    event_id: str | None
    dead_at: datetime
    error: str | None
    payload: Any
    replayed_at: datetime | None
    replayed_by: str | None
    discarded_at: datetime | None
    discarded_by: str | None


class DeadLetterPage(BaseModel):
    data: list[DeadLetter]
    has_more: bool
    unavailable: list[str] = Field(default_factory=list, description="Services that did not answer: their dead letters are not listed")


@router.get("", response_model=DeadLetterPage)
async def list_dead_letters(
    _: AdminPrincipal, request: Request,
    service: Annotated[ServiceName | None, Query(description="Only this service's")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    state: Annotated[Literal["waiting", "all"], Query(description="`all` adds those replayed or discarded, with who and when")] = "waiting",
) -> DeadLetterPage:
    """Messages a service's consumer gave up on (after its retries, or unreadable), waiting for an
    operator, newest first."""
    services = [service] if service else list(SERVICES)
    params = {"limit": limit, "waiting": state == "waiting"}
    answers = await asyncio.gather(*(_call(request, name, "GET", "", params=params) for name in services), return_exceptions=True)
    pages, unavailable = {}, []
    for name, answer in zip(services, answers, strict=True):
        if isinstance(answer, httpx.Response):
            pages[name] = answer.json()
        elif _unavailable(answer):
            unavailable.append(name)  # a service away is when dead letters matter most: list the others'
        else:
            raise answer
    if service and unavailable:
        raise answers[0]
    letters = [DeadLetter(**{**item, "id": f"{name}.{item['id']}"}) for name, page in pages.items() for item in page["data"]]
    letters.sort(key=lambda letter: letter.dead_at, reverse=True)
    more = any(page["has_more"] for page in pages.values()) or len(letters) > limit
    return DeadLetterPage(data=letters[:limit], has_more=more, unavailable=unavailable)


def _unavailable(error: BaseException) -> bool:
    return isinstance(error, ServiceUnavailable) or (isinstance(error, PassedProblem) and error.answer.status_code >= 500)


@router.post("/{letter_id}/replay", status_code=status.HTTP_202_ACCEPTED, responses=problems(404, 409))
async def replay_dead_letter(letter_id: str, _: AdminPrincipal, request: Request) -> Response:
    """Hands the message to its service once more. It goes through the service's inbox like any
    delivery, so a message already handled (or replayed twice) has one effect."""
    service, local = _parse(letter_id)
    await _call(request, service, "POST", f"/{local}/replay")
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.delete("/{letter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def discard_dead_letter(letter_id: str, _: AdminPrincipal, request: Request) -> Response:
    """Discards the message for good; who discarded it, and when, is kept with it."""
    service, local = _parse(letter_id)
    await _call(request, service, "DELETE", f"/{local}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _parse(letter_id: str) -> tuple[str, uuid.UUID]:
    service, _, local = letter_id.partition(".")
    try:
        if service in SERVICES:
            return service, uuid.UUID(local)
    except ValueError:
        pass
    raise NotFound(f"No dead letter {letter_id}.", code="dead_letter_not_found")


async def _call(request: Request, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    client: httpx.AsyncClient = request.app.state.client
    base = request.app.state.settings.upstreams()[service]
    headers = {"authorization": request.headers.get("authorization", "")}
    try:
        answer = await client.request(method, f"{base}/internal/dead-letters{path}", headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"The {service} service did not answer; try again.", retry_after_s=5) from exc
    if answer.status_code >= 400:
        raise PassedProblem(answer)
    return answer


class PassedProblem(Exception):
    """A service's own problem answer (404, 409, 503...), passed on to the caller as it came."""

    def __init__(self, answer: httpx.Response) -> None:
        super().__init__(answer.status_code)
        self.answer = answer

    def response(self) -> Response:
        content_type = self.answer.headers.get("content-type", PROBLEM_JSON)
        return Response(self.answer.content, status_code=self.answer.status_code, media_type=content_type)
