"""What the forwarder passes on, against real HTTP upstreams: whole requests only, no hop-by-hop
headers, and answers streamed as they come."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from gateway import proxy
from gateway.app import create_app
from gateway.config import Settings
from gateway.ratelimit import RateLimits
from settle_kit.auth import mint_token
from settle_testing.servers import serve_in_thread

SECRET = "gateway-test-secret-gateway-test-secret"
BIG = bytes(range(256)) * 1024  # 256 KiB: streamed, not read whole


class Upstream:
    def __init__(self) -> None:
        self.app = FastAPI()
        self.calls: list[dict] = []
        self.release = threading.Event()
        self.stream_ended = threading.Event()
        app = self.app

        @app.post("/v1/projects")
        async def upload(request: Request):
            body = await request.body()
            self.calls.append({"length": len(body), "headers": dict(request.headers)})
            return {"length": len(body), "headers": dict(request.headers)}

        @app.get("/v1/projects/hop")
        async def hop():
            return Response(b"{}", media_type="application/json",
                            headers={"Connection": "x-secret", "X-Secret": "hop", "X-Kept": "end", "Keep-Alive": "timeout=5"})

        @app.get("/v1/conversations/c1/events")
        async def events():
            async def stream():
                yield b"event: message.created\ndata: {\"n\": 1}\n\n"
                await asyncio.to_thread(self.release.wait, 10)  # held until the client saw the first event
                yield b"event: message.created\ndata: {\"n\": 2}\n\n"

            return StreamingResponse(stream(), media_type="text/event-stream")

        @app.get("/v1/conversations/c2/events")
        async def endless():
            async def stream():
                try:
                    while True:
                        yield b": keep-alive\n\n"
                        await asyncio.sleep(0.05)
                finally:
                    self.stream_ended.set()

            return StreamingResponse(stream(), media_type="text/event-stream")

        @app.get("/v1/conversations/c3/events")
        async def quiet():
            async def stream():
                yield b"event: a\ndata: 1\n\n"
                await asyncio.sleep(1)  # longer than the test gateway's upstream timeout
                yield b"event: b\ndata: 2\n\n"

            return StreamingResponse(stream(), media_type="text/event-stream")

        @app.get("/v1/messages/big")
        async def big():
            return Response(BIG, media_type="application/octet-stream")


@pytest.fixture(scope="module")
def upstream():
    upstream = Upstream()
    with serve_in_thread(upstream.app) as url:
        upstream.url = url
        yield upstream


@pytest.fixture(scope="module")
def gateway_url(upstream):
    settings = Settings(jwt_secret=SECRET, messaging_url=upstream.url, bookings_url=upstream.url, billing_url=upstream.url,
                        notifications_url=upstream.url)
    with serve_in_thread(create_app(settings)) as url:
        yield url


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, 'alice', 'user')[0]}"}


async def test_an_upload_cut_off_mid_body_is_not_forwarded(upstream):
    forwarder = proxy.Forwarder({"messaging": upstream.url}, jwt_secret=SECRET, max_body=1 << 20, traced=False,
                                limits=RateLimits(per_caller="1000/second", per_address="1000/second"))
    token = auth()["Authorization"].encode()
    scope = {"type": "http", "method": "POST", "path": "/v1/projects", "raw_path": b"/v1/projects", "query_string": b"",
             "headers": [(b"authorization", token), (b"content-type", b"application/json"), (b"content-length", b"1000")],
             "client": ("127.0.0.1", 5000)}
    messages = iter([{"type": "http.request", "body": b'{"title": "', "more_body": True}, {"type": "http.disconnect"}])
    sent: list[dict] = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    before = len(upstream.calls)
    async with proxy.create_session(connect_timeout_s=2, upstream_timeout_s=5, keepalive_s=5, traced=False) as session:
        forwarder.session = session
        await forwarder(scope, receive, send)
        # The same request whole is forwarded: the cut one was refused, not lost to a broken setup.
        whole = iter([{"type": "http.request", "body": b'{"title": "t"}', "more_body": False}])
        await forwarder(scope, lambda: _next(whole), send)
    assert [c["length"] for c in upstream.calls[before:]] == [len(b'{"title": "t"}')], "only the whole body reached the service"
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200], "nobody answers a caller who left"


async def _next(messages):
    return next(messages)


def test_hop_by_hop_headers_and_those_connection_names_stop_at_the_gateway(upstream, gateway_url):
    headers = {**auth(), "Connection": "keep-alive, x-foo", "X-Foo": "secret", "X-Bar": "kept", "TE": "trailers",
               "Proxy-Authorization": "Basic abc", "Content-Type": "application/json"}
    seen = httpx.post(gateway_url + "/v1/projects", content=b'{"title": "t"}', headers=headers).json()["headers"]
    assert "x-foo" not in seen
    assert seen["x-bar"] == "kept"
    assert "te" not in seen and "proxy-authorization" not in seen
    answer = httpx.get(gateway_url + "/v1/projects/hop", headers=auth())
    assert answer.status_code == 200
    assert "x-secret" not in answer.headers, "named in the upstream's Connection header"
    assert "keep-alive" not in answer.headers
    assert answer.headers["x-kept"] == "end"


def test_an_event_stream_flows_through_event_by_event(upstream, gateway_url):
    upstream.release.clear()
    with httpx.stream("GET", gateway_url + "/v1/conversations/c1/events", headers=auth(), timeout=5) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.iter_raw()
        first = next(chunks)  # a gateway that buffered would wait here for the whole answer (and time out)
        assert b'"n": 1' in first
        assert not upstream.release.is_set(), "the upstream has not finished"
        upstream.release.set()
        rest = b"".join(chunks)
    assert b'"n": 2' in rest


def test_a_caller_leaving_a_stream_ends_it_upstream(upstream, gateway_url):
    upstream.stream_ended.clear()
    with httpx.stream("GET", gateway_url + "/v1/conversations/c2/events", headers=auth(), timeout=5) as response:
        assert next(response.iter_raw()).startswith(b": keep-alive")
    deadline = time.monotonic() + 10
    while not upstream.stream_ended.is_set():
        assert time.monotonic() < deadline, "the gateway kept reading a stream nobody listens to"
        time.sleep(0.05)


def test_an_event_stream_may_be_quiet_longer_than_the_upstream_timeout(upstream):
    settings = Settings(jwt_secret=SECRET, messaging_url=upstream.url, bookings_url=upstream.url, billing_url=upstream.url,
                        notifications_url=upstream.url, upstream_timeout_s=0.3)
    with serve_in_thread(create_app(settings)) as url:
        headers = {**auth(), "Accept": "text/event-stream"}
        with httpx.stream("GET", url + "/v1/conversations/c3/events", headers=headers, timeout=5) as response:
            body = b"".join(response.iter_raw())
    assert b"data: 2" in body


def test_a_large_answer_arrives_whole_with_its_length(upstream, gateway_url):
    response = httpx.get(gateway_url + "/v1/messages/big", headers=auth())
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(BIG))
    assert response.content == BIG
