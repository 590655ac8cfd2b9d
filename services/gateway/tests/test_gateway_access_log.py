"""The gateway logs every request once, as one JSON line, whether it forwards or answers it."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from settle_kit.auth import mint_token
from settle_testing.servers import serve_in_thread

SECRET = "gateway-test-secret-gateway-test-secret"


def access_lines(output: str, request_id: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id and line.get("logger") == "settle.access"]


def test_each_request_is_one_access_line(capsys):
    upstream = FastAPI()

    @upstream.get("/v1/projects")
    async def projects():
        return {"data": []}

    with serve_in_thread(upstream) as url:
        settings = Settings(jwt_secret=SECRET, messaging_url=url, billing_url=url, bookings_url=url, notifications_url=url)
        with TestClient(create_app(settings)) as client:
            token = mint_token(SECRET, "alice")[0]
            assert client.get("/v1/projects", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "gw-1"}).status_code == 200
            assert client.get("/v1/projects", headers={"X-Request-Id": "gw-2"}).status_code == 401
            assert client.get("/healthz", headers={"X-Request-Id": "gw-3"}).status_code == 200
    output = capsys.readouterr().out
    (forwarded,) = access_lines(output, "gw-1")
    assert {k: forwarded[k] for k in ("method", "path", "status", "user", "service")} == {
        "method": "GET", "path": "/v1/projects", "status": 200, "user": "alice", "service": "gateway"}
    assert forwarded["duration_ms"] >= 0
    (refused,) = access_lines(output, "gw-2")
    assert (refused["status"], refused["user"]) == (401, None)
    (own,) = access_lines(output, "gw-3")
    assert own["path"] == "/healthz"
