"""Forwards a request to its service and the answer back, with bounded waits.

An upstream that refuses connections gives 503, one that is too slow 504, one that breaks the
exchange 502: a caller always gets an answer within the configured timeouts.
"""

from __future__ import annotations

import httpx
from fastapi import Request, Response

from settle_kit import context
from settle_kit.errors import BadGateway, GatewayTimeout, PayloadTooLarge, ServiceUnavailable

# RFC 9110 hop-by-hop headers, plus those httpx recomputes.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}


async def forward(client: httpx.AsyncClient, base_url: str, service: str, request: Request, max_body: int) -> Response:
    body = await request.body()
    if len(body) > max_body:
        raise PayloadTooLarge(f"The body is larger than {max_body} bytes.")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    headers["x-request-id"] = context.request_id.get() or ""
    if request.client:
        headers["x-forwarded-for"] = request.client.host
    try:
        upstream = await client.request(
            request.method,
            base_url + request.url.path,
            params=request.query_params.multi_items(),
            content=body,
            headers=headers,
        )
    except httpx.ConnectError:
        raise ServiceUnavailable(f"The {service} service is not reachable.", code="upstream_unavailable") from None
    except httpx.TimeoutException:
        raise GatewayTimeout(f"The {service} service did not answer in time.", code="upstream_timeout") from None
    except httpx.HTTPError as exc:
        raise BadGateway(f"The {service} service gave a broken answer ({type(exc).__name__}).", code="upstream_error") from None
    response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP | {"x-request-id", "content-encoding"}}
    return Response(content=upstream.content, status_code=upstream.status_code, headers=response_headers)
