"""`/healthz` (the process answers) and `/readyz` (its dependencies answer)."""

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
        results = await asyncio.gather(*(_run(check, request) for check in checks.values()))
        report = dict(zip(checks, results, strict=True))
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
