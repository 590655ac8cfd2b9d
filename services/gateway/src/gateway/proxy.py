"""Forwards `/v1/*` requests to their service and the answer back, with bounded waits.

Every public call crosses this path, so it is a plain ASGI app rather than a FastAPI route: it
has nothing to validate (each service validates its own input and verifies the token again), and
FastAPI's routing, dependency and middleware layers were most of the gateway's CPU per request.

An upstream that refuses connections gives 503, one that is too slow 504, one that breaks the
exchange 502: a caller always gets an answer within the configured timeouts.

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

# RFC 9110 hop-by-hop headers, those the client recomputes, and those the gateway sets itself
# (the request id in both directions, the caller's address), so a caller cannot forge them.
_DROPPED = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
    b"transfer-encoding", b"upgrade", b"host", b"content-length", b"x-request-id", b"x-forwarded-for",
})
# The gateway's own server writes `date` and `server` into every response: the service's copies
# would make a second of each (Date is a single-valued field, RFC 9110 §6.6.1).
_DROPPED_RESPONSE = frozenset(h.decode() for h in _DROPPED) | {"date", "server"}
# Replaced by the gateway's outgoing span's context when traces are exported.
_TRACE_CONTEXT = frozenset({b"traceparent", b"tracestate"})


def create_session(*, connect_timeout_s: float, upstream_timeout_s: float, keepalive_s: float, traced: bool) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=keepalive_s, enable_cleanup_closed=True)
    timeout = aiohttp.ClientTimeout(total=upstream_timeout_s + connect_timeout_s, sock_connect=connect_timeout_s, sock_read=upstream_timeout_s)
    # No cookie jar: the gateway must never carry one caller's cookies to another.
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        trace_configs=[create_trace_config()] if traced else None, skip_auto_headers=("User-Agent",),
    )


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Forwarder:
    """The ASGI app for every public path the gateway does not answer itself."""

    def __init__(self, upstreams: dict[str, str], *, jwt_secret: str, max_body: int, traced: bool, limits: RateLimits) -> None:
        self.upstreams = upstreams
        self.limits = limits
        self.jwt_secret = jwt_secret
        self.max_body = max_body
        self.dropped_request = _DROPPED | _TRACE_CONTEXT if traced else _DROPPED
        self.session: aiohttp.ClientSession | None = None  # opened by the gateway's lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, headers, content = await self.forward(scope, receive)
        except Exception as exc:
            if not isinstance(exc, ProblemError):
                log.exception("unhandled error", exc_info=exc)
            error = exc if isinstance(exc, ProblemError) else ProblemError("An unexpected error occurred.")
            status, content = error.status, json.dumps(error.body(scope["path"])).encode()
            headers = [(b"content-type", PROBLEM_JSON.encode()), *((k.lower().encode(), v.encode()) for k, v in error.headers.items())]
        await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})

    async def forward(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        path = scope["path"]
        service = routes.service_for(path)
        if service is None:
            raise NotFound(f"No endpoint at {path}.")
        headers: list[tuple[str, str]] = []  # a list: a header sent twice is forwarded twice
        authorization = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            if name not in self.dropped_request:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if routes.is_public(path):
            await self.limits.check_address(client_address(scope))
        else:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("A bearer token is required.", code="missing_token")
            await self.limits.check_caller(verify_token(self.jwt_secret, token).user_id)
        body = await self._body(receive)
        headers.append(("x-request-id", context.request_id.get() or ""))
        if scope.get("client"):
            headers.append(("x-forwarded-for", scope["client"][0]))
        url = self.upstreams[service] + (scope.get("raw_path") or path.encode()).decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        try:
            async with self.session.request(scope["method"], URL(url, encoded=True), data=body, headers=headers,
                                            allow_redirects=False) as upstream:
                content = await upstream.read()
                status = upstream.status
                response_headers = [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in upstream.headers.items() if k.lower() not in _DROPPED_RESPONSE
                ]
        except aiohttp.ClientConnectorError:
            raise ServiceUnavailable(f"The {service} service is not reachable.", code="upstream_unavailable") from None
        except (TimeoutError, asyncio.TimeoutError):
            raise GatewayTimeout(f"The {service} service did not answer in time.", code="upstream_timeout") from None
        except aiohttp.ClientError as exc:
            raise BadGateway(f"The {service} service gave a broken answer ({type(exc).__name__}).", code="upstream_error") from None
        return status, response_headers, content

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise PayloadTooLarge(f"The body is larger than {self.max_body} bytes.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)
