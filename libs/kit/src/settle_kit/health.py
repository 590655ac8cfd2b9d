"""`/healthz` (the process answers) and `/readyz` (its dependencies answer, and the work it runs
in the background is alive: a service whose consumer, relay or queue runner died is not ready,
even though it still answers HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[Request], Awaitable[None]]


def health_router(checks: dict[str, Check]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        every = {**checks, **{name: _alive(task) for name, task in getattr(request.app.state, "background", {}).items()}}
        results = await asyncio.gather(*(_run(check, request) for check in every.values()))
        report = dict(zip(every, results, strict=True))
        ready = all(result == "ok" for result in report.values())
        return JSONResponse({"status": "ready" if ready else "unready", "checks": report}, status_code=200 if ready else 503)

    return router


async def _run(check: Check, request: Request) -> str:
    try:
        await asyncio.wait_for(check(request), timeout=3)
        return "ok"
    except Exception as exc:  # a readiness probe reports, it does not raise
        return f"failed: {type(exc).__name__}: {exc}"[:300]


async def database_check(request: Request) -> None:
    await request.app.state.db.ping()


async def broker_check(request: Request) -> None:
    if not request.app.state.bus.connected:
        raise ConnectionError("not connected to the broker")


def _alive(task: asyncio.Task) -> Check:
    async def check(request: Request) -> None:
        if task.done():
            raise RuntimeError(f"the background task {task.get_name()} stopped" + _why(task))

    return check


def _why(task: asyncio.Task) -> str:
    if task.cancelled():
        return " (cancelled)"
    exc = task.exception()
    return f" ({type(exc).__name__}: {exc})" if exc is not None else ""


async def relay_check(request: Request) -> None:
    request.app.state.bus.check_relay()


async def consumer_check(request: Request) -> None:
    request.app.state.bus.check_consumer()
