"""Forwards `/v1/*` requests to their service and the answer back, with bounded waits.

Every public call crosses this path, so it is a plain ASGI app rather than a FastAPI route: it
has nothing to validate (each service validates its own input and verifies the token again), and
FastAPI's routing, dependency and middleware layers were most of the gateway's CPU per request.

An upstream that refuses connections gives 503, one that is too slow 504, one that breaks the
exchange 502: a caller always gets an answer within the configured timeouts. A request is
forwarded only once its body is whole (bounded by the body limit): a caller that goes away
mid-upload is dropped, never passed on truncated. Answers are streamed as they come (Server-Sent
Events, downloads), except small ones of known length, which are read whole and sent in one go.
Hop-by-hop headers, and those a `Connection:` header names, stop here in both directions.

The forwarding client is aiohttp's: its connection pool hands out a free connection in constant
time, where httpx's checks every pooled connection on every request. When traces are exported,
its OpenTelemetry instrumentation makes the outgoing span and injects its context into the
forwarded headers (replacing the caller's), so the service's spans continue the trace; when
they are not, the caller's trace context is passed through as it came.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from starlette.types import Receive, Scope, Send
from yarl import URL

from settle_kit import context
from settle_kit.auth import verify_token
from settle_kit.errors import (
    PROBLEM_JSON,
    BadGateway,
    GatewayTimeout,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    ServiceUnavailable,
    Unauthorized,
)

from gateway import routes
from gateway.ratelimit import RateLimits

log = logging.getLogger(__name__)

# RFC 9110 hop-by-hop headers (§7.6.1), and those named in `Connection:` as well (per message).
_HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"proxy-connection", b"te",
    b"trailer", b"transfer-encoding", b"upgrade",
})
# Also dropped from requests: those the client recomputes, and those the gateway sets itself (the
# request id in both directions, the caller's address), so a caller cannot forge them.
_DROPPED = _HOP_BY_HOP | {b"host", b"content-length", b"x-request-id", b"x-forwarded-for"}
# The gateway's own server writes `date` and `server` into every response: the service's copies
# would make a second of each (Date is a single-valued field, RFC 9110 §6.6.1). Content-Length
# is set again from the body when the body is read whole, and passed on when it is streamed.
_DROPPED_RESPONSE = _HOP_BY_HOP | {b"x-request-id", b"date", b"server", b"content-length"}
# Replaced by the gateway's outgoing span's context when traces are exported.
_TRACE_CONTEXT = frozenset({b"traceparent", b"tracestate"})
# An answer up to this size with a known length is read whole and sent in one message (most API
# answers); anything else (downloads, Server-Sent Events) is streamed chunk by chunk as it comes.
_WHOLE_BODY_MAX = 64 * 1024


def create_session(*, connect_timeout_s: float, upstream_timeout_s: float, keepalive_s: float, traced: bool) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=keepalive_s, enable_cleanup_closed=True)
    # No total: a download or an event stream lasts as long as it lasts. sock_read bounds the wait
    # for the answer and every silence within it (and stops while a slow client holds us back).
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s, sock_read=upstream_timeout_s)
    # No cookie jar: the gateway must never carry one caller's cookies to another.
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        trace_configs=[create_trace_config()] if traced else None, skip_auto_headers=("User-Agent",),
    )


class ClientDisconnected(Exception):
    """The caller went away before its request was whole: nothing is forwarded or answered."""


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    """The header names a message's `Connection:` fields declare hop-by-hop (RFC 9110 §7.6.1)."""
    named: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return named


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Forwarder:
    """The ASGI app for every public path the gateway does not answer itself."""

    def __init__(
        self, upstreams: dict[str, str], *, jwt_secret: str, max_body: int, traced: bool, limits: RateLimits, max_upload: int | None = None
    ) -> None:
        self.upstreams = upstreams
        self.limits = limits
        self.jwt_secret = jwt_secret
        self.max_body = max_body
        self.max_upload = max(max_upload or max_body, max_body)
        self.dropped_request = _DROPPED | _TRACE_CONTEXT if traced else _DROPPED
        self.session: aiohttp.ClientSession | None = None  # opened by the gateway's lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            upstream, service = await self.forward(scope, receive)
        except ClientDisconnected:
            return
        except Exception as exc:
            await self._problem(scope, send, exc)
            return
        try:
            await self.relay(upstream, service, receive, send)
        finally:
            upstream.release()

    async def forward(self, scope: Scope, receive: Receive) -> tuple[aiohttp.ClientResponse, str]:
        """Sends the request on and returns the upstream's answer, its head read and its body not."""
        path = scope["path"]
        service = routes.service_for(path)
        if service is None:
            raise NotFound(f"No endpoint at {path}.")
        connection_named = _connection_tokens(scope["headers"])
        headers: list[tuple[str, str]] = []  # a list: a header sent twice is forwarded twice
        authorization = ""
        event_stream = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"accept" and b"text/event-stream" in value:
                event_stream = True
            if name not in self.dropped_request and name not in connection_named:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if routes.is_public(path):
            await self.limits.check_address(client_address(scope))
        else:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("A bearer token is required.", code="missing_token")
            await self.limits.check_caller(verify_token(self.jwt_secret, token).user_id)
        body = await self._body(receive, self.max_upload if path in routes.UPLOAD_PATHS else self.max_body)
        headers.append(("x-request-id", context.request_id.get() or ""))
        if scope.get("client"):
            headers.append(("x-forwarded-for", scope["client"][0]))
        url = self.upstreams[service] + (scope.get("raw_path") or path.encode()).decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        try:
            options = {"timeout": aiohttp.ClientTimeout(sock_connect=self.session.timeout.sock_connect)} if event_stream else {}
            request = self.session.request(scope["method"], URL(url, encoded=True), data=body, headers=headers,
                                           allow_redirects=False, **options)
            if event_stream:
                # Silence between events is normal: only the wait for the answer's head is bounded.
                async with asyncio.timeout(self.session.timeout.sock_read):
                    upstream = await request
            else:
                upstream = await request
        except aiohttp.ClientConnectorError:
            raise ServiceUnavailable(f"The {service} service is not reachable.", code="upstream_unavailable") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _upstream_failure(service, exc) from None
        return upstream, service

    async def relay(self, upstream: aiohttp.ClientResponse, service: str, receive: Receive, send: Send) -> None:
        """Passes the answer on: read whole and sent at once when it is small and of known length,
        else streamed chunk by chunk as it comes (never more than a chunk held here), until the
        upstream ends it or the caller goes away."""
        named = _connection_tokens(upstream.raw_headers)
        headers = [(k.lower(), v) for k, v in upstream.raw_headers if k.lower() not in _DROPPED_RESPONSE and k.lower() not in named]
        length = upstream.content_length
        if length is not None and length <= _WHOLE_BODY_MAX:
            try:
                content = await upstream.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                await self._problem({"path": upstream.url.path}, send, _upstream_failure(service, exc))
                return
            await send({"type": "http.response.start", "status": upstream.status,
                        "headers": [*headers, (b"content-length", str(len(content)).encode())]})
            await send({"type": "http.response.body", "body": content})
            return
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
        streaming = asyncio.ensure_future(self._stream(upstream, send))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait((streaming, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not streaming.done():  # the caller went away: stop reading, drop the connection
                streaming.cancel()
                upstream.close()
        if not streaming.cancelled() and streaming.exception() is not None:
            # Too late for a problem: the head is sent. Closing the connection tells the caller the
            # answer is incomplete, where ending it normally would pass a truncated body as whole.
            upstream.close()
            raise UpstreamBroke(f"{service} broke off its answer") from streaming.exception()

    async def _stream(self, upstream: aiohttp.ClientResponse, send: Send) -> None:
        while chunk := await upstream.content.readany():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _problem(self, scope: Scope, send: Send, exc: Exception) -> None:
        if not isinstance(exc, ProblemError):
            log.exception("unhandled error", exc_info=exc)
        error = exc if isinstance(exc, ProblemError) else ProblemError("An unexpected error occurred.")
        content = json.dumps(error.body(scope["path"])).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
                   (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _body(self, receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # Forwarding what came would hand the service a truncated body as if it were whole.
                raise ClientDisconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class UpstreamBroke(Exception):
    """An upstream broke off an answer whose head was already passed on."""


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _upstream_failure(service: str, exc: Exception) -> ProblemError:
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's timeouts are ClientErrors too
        return GatewayTimeout(f"The {service} service did not answer in time.", code="upstream_timeout")
    return BadGateway(f"The {service} service gave a broken answer ({type(exc).__name__}).", code="upstream_error")
