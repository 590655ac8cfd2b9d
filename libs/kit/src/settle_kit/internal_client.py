"""A service's synchronous calls to another service's internal API, where an answer is needed now
(bookings and messaging asking billing for payments, checkouts, debits, transfers).

Every call is authenticated as the calling service and carries an idempotency key derived from
the caller's own ids, so a repeated call (here, or a client retrying the whole request) never does
the work twice. No call may be made while the caller holds a database transaction: callers decide
and commit first, call, then record the answer.

Timeouts are short (a request waits on them, under the gateway's own). A call is repeated only
when repeating cannot pile up work in the callee: the connection was refused or never made, or
the callee failed (5xx, 429) without saying when to come back. When it says when (503 with
`Retry-After`) or does not answer in time, the call gives up at once and the caller answers 503
with `Retry-After` itself: the work already decided is finished by the retry of the same request,
with the same keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from settle_kit.auth import mint_token
from settle_kit.models import utcnow

log = logging.getLogger(__name__)

TOKEN_TTL = timedelta(hours=1)


class InternalError(Exception):
    """The callee refused (4xx): `status` and its problem `code`, to map or pass on."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"answered {status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


class InternalUnavailable(Exception):
    """The callee could not be reached, did not answer in time, or is unavailable (503); try
    again after `retry_after_s`."""

    def __init__(self, detail: str, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class _Transient(Exception):
    """Worth one more attempt at once."""


@dataclass
class InternalClient:
    base_url: str
    jwt_secret: str
    timeout_s: float = 5.0
    attempts: int = 3
    connect_timeout_s: float = 1.0
    caller: str = "service"  # the token's subject: which service is asking

    def __post_init__(self) -> None:
        timeout = httpx.Timeout(self.timeout_s, connect=min(self.connect_timeout_s, self.timeout_s))
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self._token: tuple[str, Any] | None = None

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, *, json: dict | None = None, key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self._service_token()}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.2, max=2),
                retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
                reraise=True,
            ):
                with attempt:
                    return await self._once(method, path, json, headers)
        except _Transient as exc:
            raise InternalUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, json: dict | None, headers: dict) -> dict:
        try:
            response = await self._http.request(method, path, json=json, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Transient(f"{method} {path}: {exc!r}") from exc
        except httpx.TransportError as exc:
            # Sent, but no answer in time: the callee may still be at it. Repeating would only
            # stack more work on it; the caller's retry finds what it finished.
            raise InternalUnavailable(f"{method} {path}: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            retry_after = _retry_after(response)
            if retry_after is not None:
                raise InternalUnavailable(f"{method} {path}: {response.status_code}", retry_after)
            raise _Transient(f"{method} {path}: {response.status_code} {response.text[:200]}")
        if response.status_code >= 400:
            problem = _problem(response)
            raise InternalError(response.status_code, problem.get("code", "internal_error"), problem.get("detail", response.text[:200]))
        return response.json()

    def _service_token(self) -> str:
        now = utcnow()
        if self._token is None or self._token[1] - now < TOKEN_TTL / 2:
            self._token = mint_token(self.jwt_secret, self.caller, "service", ttl=TOKEN_TTL)
        return self._token[0]


def _problem(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return max(1, int(value)) if value.isdigit() else None
