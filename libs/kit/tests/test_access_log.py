"""Every request is logged once, as one JSON line with who asked what and how it went."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.testclient import TestClient

from settle_kit.auth import CurrentPrincipal, mint_token
from settle_kit.service import create_service_app
from settle_kit.settings import ServiceSettings

SECRET = "access-log-test-secret-access-log-test-secret"
FIELDS = {"method", "path", "status", "duration_ms", "request_id", "user"}

router = APIRouter()


@router.get("/v1/whoami")
async def whoami(principal: CurrentPrincipal) -> dict:
    return {"user": principal.user_id}


@router.get("/v1/boom")
async def boom() -> dict:
    raise RuntimeError("broken on purpose")


def access_lines(output: str, request_id: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id and line.get("logger") == "settle.access"]


def test_a_request_yields_exactly_one_access_line_with_its_fields(capsys):
    settings = ServiceSettings(service_name="svc", jwt_secret=SECRET, database_url="postgresql+asyncpg://unused/none")
    app = create_service_app(settings, title="svc", routers=[router])
    client = TestClient(app, raise_server_exceptions=False)  # no lifespan: no database needed for these routes
    token = mint_token(SECRET, "alice")[0]
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-a1"}).status_code == 200
    assert client.get("/v1/whoami", headers={"X-Request-Id": "req-a2"}).status_code == 401
    assert client.get("/v1/boom", headers={"X-Request-Id": "req-a3"}).status_code == 500
    output = capsys.readouterr().out
    (ok,) = access_lines(output, "req-a1")
    assert FIELDS <= set(ok)
    assert (ok["method"], ok["path"], ok["status"], ok["user"], ok["service"]) == ("GET", "/v1/whoami", 200, "alice", "svc")
    assert isinstance(ok["duration_ms"], float) and ok["duration_ms"] >= 0
    (refused,) = access_lines(output, "req-a2")
    assert (refused["status"], refused["user"]) == (401, None)
    (failed,) = access_lines(output, "req-a3")
    assert failed["status"] == 500
