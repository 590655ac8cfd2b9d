"""Rate limits at the gateway: per caller, per address where there is no token, shared by a store."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from settle_kit.auth import mint_token
from settle_testing.servers import serve_in_thread

SECRET = "gateway-test-secret-gateway-test-secret"
REDIS_URL = os.environ.get("SETTLE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture(scope="module")
def upstream():
    app = FastAPI()
    app.state.calls = 0

    @app.api_route("/v1/{path:path}", methods=["GET", "POST"])
    async def anything(request: Request):
        request.app.state.calls += 1
        return {"ok": True}

    with serve_in_thread(app) as url:
        yield url, app


def gateway(url: str, **overrides) -> TestClient:
    settings = Settings(jwt_secret=SECRET, messaging_url=url, bookings_url=url, billing_url=url, notifications_url=url, **overrides)
    return TestClient(create_app(settings))


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, user, 'user')[0]}"}


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    problem = response.json()
    assert problem["code"] == "rate_limited"
    assert problem["status"] == 429


def test_a_caller_over_the_limit_gets_429_with_retry_after_and_others_are_unaffected(upstream):
    url, app = upstream
    with gateway(url, rate_limit="3/minute") as client:
        for _ in range(3):
            assert client.get("/v1/projects", headers=auth("alice")).status_code == 200
        calls = app.state.calls
        refused = client.get("/v1/projects", headers=auth("alice"))
        assert_rate_limited(refused)
        assert app.state.calls == calls, "a refused request is not forwarded"
        assert client.get("/v1/projects", headers=auth("bob")).status_code == 200


def test_requests_without_a_token_count_per_address(upstream):
    url, _ = upstream
    with gateway(url, rate_limit_by_address="2/minute") as client:
        assert client.post("/v1/webhooks/stripe", content=b"{}").status_code == 200
        assert client.post("/v1/webhooks/twilio/status", content=b"").status_code == 200
        assert_rate_limited(client.post("/v1/webhooks/stripe", content=b"{}"))
        # Callers with a token count on their own.
        assert client.get("/v1/projects", headers=auth("alice")).status_code == 200


def test_development_tokens_count_per_address(upstream):
    url, _ = upstream
    with gateway(url, rate_limit_by_address="1/minute") as client:
        assert client.post("/v1/dev/tokens", json={"user_id": "alice"}).status_code == 201
        assert_rate_limited(client.post("/v1/dev/tokens", json={"user_id": "alice"}))


def test_several_limits_all_apply(upstream):
    url, _ = upstream
    with gateway(url, rate_limit="100/second;2/minute") as client:
        assert [client.get("/v1/projects", headers=auth("carol")).status_code for _ in range(3)] == [200, 200, 429]


def _redis_reachable() -> bool:
    host, _, port = REDIS_URL.removeprefix("redis://").partition(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port or 6379))) == 0


@pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis at {REDIS_URL}")
def test_replicas_sharing_a_store_count_together(upstream):
    url, _ = upstream
    user = f"shared-{uuid.uuid4().hex[:12]}"  # the store outlives the test: a key of its own
    shared = {"rate_limit": "3/minute", "rate_limit_storage_uri": REDIS_URL}
    with gateway(url, **shared) as one, gateway(url, **shared) as two:
        assert one.get("/v1/projects", headers=auth(user)).status_code == 200
        assert two.get("/v1/projects", headers=auth(user)).status_code == 200
        assert one.get("/v1/projects", headers=auth(user)).status_code == 200
        assert_rate_limited(two.get("/v1/projects", headers=auth(user)))


def test_a_replica_without_a_shared_store_counts_alone(upstream):
    url, _ = upstream
    with gateway(url, rate_limit="1/minute") as one, gateway(url, rate_limit="1/minute") as two:
        assert one.get("/v1/projects", headers=auth("dave")).status_code == 200
        assert two.get("/v1/projects", headers=auth("dave")).status_code == 200


def test_an_unreachable_store_lets_requests_through(upstream):
    url, _ = upstream
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}"
    with gateway(url, rate_limit="1/minute", rate_limit_storage_uri=dead) as client:
        assert [client.get("/v1/projects", headers=auth("erin")).status_code for _ in range(2)] == [200, 200]
