"""The gateway is ready when every service says it is."""

from __future__ import annotations

import asyncio

import httpx


async def service_readiness(client: httpx.AsyncClient, upstreams: dict[str, str]) -> dict[str, dict]:
    async def probe(url: str) -> dict:
        try:
            response = await client.get(url + "/readyz", timeout=3)
        except httpx.HTTPError as exc:
            return {"status": "unreachable", "error": type(exc).__name__}
        try:
            body = response.json()
        except ValueError:
            body = {}
        return {"status": "ready" if response.status_code == 200 else "unready", "checks": body.get("checks", {})}

    results = await asyncio.gather(*(probe(url) for url in upstreams.values()))
    return dict(zip(upstreams, results, strict=True))
