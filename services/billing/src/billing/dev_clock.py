"""Development and tests only: move billing's clock (settle_kit.clock), so reminders and expiry can
be tested without waiting. Not routed by the gateway; 404 when SETTLE_ENV=production."""

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from settle_kit.errors import NotFound

from billing.deps import ServiceCaller

router = APIRouter(include_in_schema=False)


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime | None = None
    advance_s: float | None = Field(None, ge=0)


@router.put("/internal/clock")
async def move_clock(body: ClockMove, caller: ServiceCaller, request: Request) -> dict:
    state = request.app.state
    if not state.settings.is_development:
        raise NotFound()
    if body.now is not None:
        state.clock.set(body.now)
    if body.advance_s:
        state.clock.advance(timedelta(seconds=body.advance_s))
    state.invoice_reminders.wake()
    return {"now": state.clock.now()}
