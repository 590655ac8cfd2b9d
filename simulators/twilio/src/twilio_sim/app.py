"""create_app(): the ASGI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from twilio_sim import control, messages_api
from twilio_sim.config import Settings
from twilio_sim.errors import TwilioApiError, not_found
from twilio_sim.simulator import Simulator


def create_app(
    settings: Settings | None = None,
    *,
    auth_token: str | None = None,
    inbound_url: str | None = None,
    account_sid: str | None = None,
    step_delay: float | None = None,
) -> Starlette:
    """Builds the simulator; unset arguments come from TWILIO_SIM_* variables, then defaults."""
    settings = settings or Settings.from_env(
        auth_token=auth_token, inbound_url=inbound_url, account_sid=account_sid, step_delay=step_delay
    )
    simulator = Simulator(settings)

    @asynccontextmanager
    async def lifespan(app):
        yield
        await simulator.aclose()

    async def twilio_error(request: Request, exc: TwilioApiError) -> JSONResponse:
        return exc.response()

    async def helper_error(request: Request, exc: control.HelperError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Unknown paths answer like Twilio, so an SDK call the simulator lacks fails readably.
        if exc.status_code == 404:
            return not_found(request.url.path).response()
        return TwilioApiError(exc.status_code, 20000 + exc.status_code, str(exc.detail)).response()

    app = Starlette(
        routes=[*messages_api.routes, *control.routes],
        lifespan=lifespan,
        exception_handlers={
            TwilioApiError: twilio_error,
            control.HelperError: helper_error,
            HTTPException: http_error,
        },
    )
    app.state.simulator = simulator
    return app
