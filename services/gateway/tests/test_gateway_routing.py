"""The gateway in front of real HTTP upstreams: down, slow, broken, and healthy."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from settle_kit.auth import mint_token
from settle_kit.telemetry import configure_tracing
from settle_testing.platform import free_port
from settle_testing.servers import serve_in_thread

SECRET = "gateway-routing-tests-key-5Tq9Wm2Lx7Rb4Nc8Vz"  # production-grade: one test runs in production


def upstream_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/projects")
    async def echo(request: Request):
        return {
            "authorization": request.headers.get("authorization"),
            "request_id": request.headers.get("x-request-id"),
            "traceparent": request.headers.get("traceparent"),
            "forwarded_for": request.headers.getlist("x-forwarded-for"),
            "accept": request.headers.getlist("accept"),
            "query": dict(request.query_params),
            "body": await request.json(),
        }

    @app.get("/v1/bookings/slow")
    async def slow():
        await asyncio.sleep(2)
        return {}

    @app.get("/readyz")
    async def ready():
        return {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}

    return app


@pytest.fixture(scope="module", autouse=True)
def _spans_recorded_but_printed_nowhere():
    # The process's tracer provider is set once, by the first app: set it here without an
    # exporter, so gateways made with an exporter below trace without writing spans anywhere.
    configure_tracing("gateway-tests", "none")


@pytest.fixture(scope="module")
def upstream():
    with serve_in_thread(upstream_app()) as url:
        yield url


def gateway(upstream: str, **overrides) -> TestClient:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings(
        jwt_secret=SECRET,
        messaging_url=upstream,
        bookings_url=upstream,
        billing_url=dead,
        notifications_url=upstream,
        upstream_timeout_s=0.5,
        **overrides,
    )
    return TestClient(create_app(settings))


def auth(role: str = "user") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, 'alice', role)[0]}"}


def test_a_request_reaches_its_service_with_token_request_id_and_trace_context(upstream):
    with gateway(upstream, otel_traces_exporter="console") as client:
        response = client.post("/v1/projects?x=1", json={"title": "t"}, headers={**auth(), "X-Request-Id": "req-123"})
    assert response.status_code == 200
    seen = response.json()
    assert seen["authorization"].startswith("Bearer ")
    assert seen["request_id"] == "req-123"
    assert seen["query"] == {"x": "1"}
    assert seen["body"] == {"title": "t"}
    assert response.headers["x-request-id"] == "req-123"
    assert seen["traceparent"], "the outgoing call carries W3C trace context"


def test_the_callers_trace_continues_through_the_gateway(upstream):
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with gateway(upstream, otel_traces_exporter="console") as client:
        response = client.post("/v1/projects", json={"title": "t"}, headers={**auth(), "traceparent": caller})
    version, trace_id, span_id, flags = response.json()["traceparent"].split("-")
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736", "the same trace"
    assert span_id != "00f067aa0ba902b7", "a span of the gateway's own, child of the caller's"


def test_without_exported_traces_the_callers_trace_context_passes_through_unchanged(upstream):
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with gateway(upstream) as client:
        response = client.post("/v1/projects", json={"title": "t"}, headers={**auth(), "traceparent": caller})
    assert response.json()["traceparent"] == caller


def test_headers_sent_twice_pass_twice_and_the_callers_address_cannot_be_forged(upstream):
    with gateway(upstream) as client:
        headers = [("authorization", auth()["Authorization"]), ("accept", "text/plain"), ("accept", "application/json"),
                   ("x-forwarded-for", "10.0.0.1")]
        seen = client.post("/v1/projects", json={"title": "t"}, headers=headers).json()
    assert seen["accept"] == ["text/plain", "application/json"]
    assert seen["forwarded_for"] == ["testclient"]


def test_a_forwarded_answer_has_one_date_and_one_server_header(upstream):
    settings = Settings(jwt_secret=SECRET, messaging_url=upstream, bookings_url=upstream, billing_url=upstream,
                        notifications_url=upstream)
    with serve_in_thread(create_app(settings)) as url:  # under uvicorn, which adds its own
        response = httpx.post(url + "/v1/projects", json={"title": "t"}, headers=auth())
    assert response.status_code == 200
    names = [name.lower() for name, _ in response.headers.raw]
    assert names.count(b"date") == 1
    assert names.count(b"server") == 1


def test_paths_and_queries_reach_the_service_as_sent_and_unknown_paths_are_404_problems(upstream):
    with gateway(upstream) as client:
        response = client.post("/v1/projects?x=a%2Fb&x=2&y=%C3%A9", json={"title": "t"}, headers=auth())
        assert response.json()["query"] == {"x": "2", "y": "é"}
        missing = client.get("/v1/nothing-here", headers=auth())
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.json()["instance"] == "/v1/nothing-here"
        unauthenticated = client.post("/v1/projects", json={"title": "t"})
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["code"] == "missing_token"
        assert unauthenticated.headers["www-authenticate"] == "Bearer"


def test_a_service_that_is_down_gives_a_503_problem(upstream):
    with gateway(upstream) as client:
        response = client.get("/v1/payments", headers=auth())
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_slow_service_gives_a_504_problem_not_a_hang(upstream):
    with gateway(upstream) as client:
        response = client.get("/v1/bookings/slow", headers=auth())
    assert response.status_code == 504
    assert response.json()["code"] == "upstream_timeout"


def test_readiness_names_the_service_that_is_down(upstream):
    with gateway(upstream) as client:
        response = client.get("/readyz")
    assert response.status_code == 200  # the gateway still serves the others (test_gateway_readiness)
    assert response.json()["status"] == "degraded"
    services = response.json()["services"]
    assert services["billing"]["status"] == "unreachable"
    assert services["messaging"]["status"] == "ok"


def test_dev_tokens_exist_only_outside_production(upstream):
    with gateway(upstream) as client:
        assert client.post("/v1/dev/tokens", json={"user_id": "alice", "role": "admin"}).status_code == 201
        assert client.post("/v1/dev/tokens", json={"user_id": "system"}).status_code == 422  # reserved
        bad = client.post("/v1/dev/tokens", json={"user_id": "not valid!", "role": "king"})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"user_id", "role"}
    with gateway(upstream, env="production") as client:
        assert client.post("/v1/dev/tokens", json={"user_id": "alice"}).status_code == 404


def test_production_refuses_the_development_secret():
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production")


def test_webhooks_pass_without_a_token_for_the_service_to_verify(upstream):
    with gateway(upstream) as client:
        # Routed (billing is down here, hence 503) rather than refused with 401.
        assert client.post("/v1/webhooks/stripe", content=b"{}").status_code == 503


def test_a_body_over_the_limit_gets_a_413_problem_and_is_not_forwarded(upstream):
    with gateway(upstream, max_body_bytes=64) as client:
        response = client.post("/v1/projects", json={"title": "x" * 100}, headers=auth())
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert client.post("/v1/projects", json={"title": "short"}, headers=auth()).status_code == 200


def test_the_onboarding_pages_answer_readable_html_with_the_deployments_words(upstream):
    with gateway(upstream, onboarding_return_text="Welcome back <3") as client:
        returned = client.get("/payouts/onboarding/return?account=acct_1")
        refresh = client.get("/payouts/onboarding/refresh")
    assert returned.status_code == 200
    assert returned.headers["content-type"].startswith("text/html")
    assert "Welcome back &lt;3" in returned.text
    assert refresh.status_code == 200
    assert "expired" in refresh.text
