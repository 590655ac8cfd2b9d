"""The gateway's /readyz: ready while it can serve, reporting each service's own readiness."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from settle_testing.platform import free_port
from settle_testing.servers import serve_in_thread


def service(readyz) -> FastAPI:
    app = FastAPI()
    app.get("/readyz")(readyz)
    return app


async def ready():
    return {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def unready():
    return JSONResponse({"status": "unready", "checks": {"database": "failed: OSError", "broker": "ok"}}, status_code=503)


async def slow():
    await asyncio.sleep(3)  # a dependency of this service hangs
    return {"status": "ready", "checks": {}}


@pytest.fixture(scope="module")
def services():
    with serve_in_thread(service(ready)) as ok, serve_in_thread(service(unready)) as down, serve_in_thread(service(slow)) as hung:
        yield {"ok": ok, "unready": down, "slow": hung}


def gateway(**urls) -> TestClient:
    return TestClient(create_app(Settings(readiness_timeout_s=0.3, **urls)))


def test_one_service_down_or_slow_leaves_the_gateway_ready_and_names_each(services):
    dead = f"http://127.0.0.1:{free_port()}"
    with gateway(billing_url=services["slow"], bookings_url=services["unready"], messaging_url=services["ok"],
                 notifications_url=dead) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, "the gateway can serve: it stays in rotation"
    body = response.json()
    assert body["status"] == "degraded"
    report = body["services"]
    assert report["billing"]["status"] == "timeout"
    assert report["bookings"] == {"status": "unready", "checks": {"database": "failed: OSError", "broker": "ok"}}
    assert report["messaging"] == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert report["notifications"]["status"] == "unreachable"


def test_the_platform_is_ready_when_every_service_is(services):
    ok = services["ok"]
    with gateway(billing_url=ok, bookings_url=ok, messaging_url=ok, notifications_url=ok) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert {report["status"] for report in response.json()["services"].values()} == {"ok"}
