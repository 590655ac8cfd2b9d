"""Forwards a request to its service and the answer back, with bounded waits.

An upstream that refuses connections gives 503, one that is too slow 504, one that breaks the
exchange 502: a caller always gets an answer within the configured timeouts.

The forwarding client is aiohttp's: its connection pool hands out a free connection in constant
time, where httpx's checks every pooled connection on every request (most of the gateway's CPU
under load). Its OpenTelemetry instrumentation makes the outgoing span and injects its context
into the forwarded headers (replacing the caller's), so the service's spans continue the trace.
"""

from __future__ import annotations

import asyncio

import aiohttp
from fastapi import Request, Response
from opentelemetry.instrumentation.aiohttp_client import create_trace_config

from settle_kit import context
from settle_kit.errors import BadGateway, GatewayTimeout, PayloadTooLarge, ServiceUnavailable

# RFC 9110 hop-by-hop headers, plus those the client recomputes.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}
# Not forwarded: the trace context is replaced by the gateway's outgoing span's.
_DROPPED_REQUEST = _HOP_BY_HOP | {"traceparent", "tracestate"}
# Not passed back: the gateway sets its own request id.
_DROPPED_RESPONSE = _HOP_BY_HOP | {"x-request-id"}


def create_session(*, connect_timeout_s: float, upstream_timeout_s: float, keepalive_s: float) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=keepalive_s, enable_cleanup_closed=True)
    timeout = aiohttp.ClientTimeout(total=upstream_timeout_s + connect_timeout_s, sock_connect=connect_timeout_s, sock_read=upstream_timeout_s)
    # No cookie jar: the gateway must never carry one caller's cookies to another.
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        trace_configs=[create_trace_config()],
    )


async def forward(session: aiohttp.ClientSession, base_url: str, service: str, request: Request, max_body: int) -> Response:
    body = await request.body()
    if len(body) > max_body:
        raise PayloadTooLarge(f"The body is larger than {max_body} bytes.")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED_REQUEST}
    headers["x-request-id"] = context.request_id.get() or ""
    if request.client:
        headers["x-forwarded-for"] = request.client.host
    try:
        async with session.request(
            request.method, base_url + request.url.path, params=request.query_params.multi_items(), data=body, headers=headers,
            allow_redirects=False,
        ) as upstream:
            content = await upstream.read()
            status, upstream_headers = upstream.status, upstream.headers
    except aiohttp.ClientConnectorError:
        raise ServiceUnavailable(f"The {service} service is not reachable.", code="upstream_unavailable") from None
    except (TimeoutError, asyncio.TimeoutError):
        raise GatewayTimeout(f"The {service} service did not answer in time.", code="upstream_timeout") from None
    except aiohttp.ClientError as exc:
        raise BadGateway(f"The {service} service gave a broken answer ({type(exc).__name__}).", code="upstream_error") from None
    response_headers = {k: v for k, v in upstream_headers.items() if k.lower() not in _DROPPED_RESPONSE}
    return Response(content=content, status_code=status, headers=response_headers)
