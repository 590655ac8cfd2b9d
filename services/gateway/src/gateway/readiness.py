"""The gateway's readiness, and each service's as the gateway sees it.

The gateway is ready when it can serve: it answers every request itself or forwards it, and a
service that is down gets its callers a 503 from the gateway, not a dead gateway. So `/readyz`
answers 200 while the gateway runs, and its body reports each service's own readiness, each probe
bounded by a short timeout so one slow dependency of one service delays the report by no more:

    {"status": "ready" | "degraded",
     "services": {"billing": {"status": "ok" | "unready" | "timeout" | "unreachable", "checks": {...}}, ...}}

`status` is `ready` when every service is `ok`; `checks` is the service's own report of its
dependencies when it answered. Taking the gateway out of rotation because one service is unready
would take every other service's traffic with it.
"""

from __future__ import annotations

import asyncio

import httpx


async def service_readiness(client: httpx.AsyncClient, upstreams: dict[str, str], timeout_s: float) -> dict[str, dict]:
    async def probe(url: str) -> dict:
        try:
            response = await client.get(url + "/readyz", timeout=timeout_s)
        except httpx.TimeoutException:
            return {"status": "timeout"}
        except httpx.HTTPError as exc:
            return {"status": "unreachable", "error": type(exc).__name__}
        try:
            body = response.json()
        except ValueError:
            body = {}
        checks = body.get("checks", {}) if isinstance(body, dict) else {}
        return {"status": "ok" if response.status_code == 200 else "unready", "checks": checks}

    results = await asyncio.gather(*(probe(url) for url in upstreams.values()))
    return dict(zip(upstreams, results, strict=True))


def readiness_report(services: dict[str, dict]) -> dict:
    ready = all(report["status"] == "ok" for report in services.values())
    return {"status": "ready" if ready else "degraded", "services": services}
