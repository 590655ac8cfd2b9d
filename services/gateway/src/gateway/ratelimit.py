"""Rate limits: per caller (the token's subject) and, where there is no token, per client address.

Counted with `limits`' sliding window counter (two counters per key and window, O(1) per request;
the moving window keeps one timestamp per request, so a limit of 1,000 holds 1,000 entries per
caller). A limit may be several, separated by `;`, and a request must pass all of them: the
default `200/second;1000/10 seconds` lets a caller burst to 200 requests in a second while
holding them to about 100 per second over ten. A refused request is a 429 problem (`code:
rate_limited`) with `Retry-After`, and it is not forwarded.

Counts live in the gateway's memory unless `GATEWAY_RATE_LIMIT_STORAGE_URI` names a shared store
(`redis://host:6379`): without one, every replica counts alone, so N replicas allow N times the
limit. A shared store that fails lets requests through (logged): an outage of the counter must
not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from settle_kit.errors import TooManyRequests

log = logging.getLogger(__name__)


def storage_uri(uri: str | None) -> str:
    """`limits` names its asyncio storages `async+<scheme>`; operators write the plain URI."""
    if not uri:
        return "async+memory://"
    return uri if uri.startswith("async+") else "async+" + uri


class RateLimits:
    def __init__(self, *, per_caller: str, per_address: str, storage: str | None = None) -> None:
        self.per_caller = parse_many(per_caller)
        self.per_address = parse_many(per_address)
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri(storage), wrap_exceptions=True))

    async def check_caller(self, user_id: str) -> None:
        await self._check(self.per_caller, "caller", user_id)

    async def check_address(self, address: str) -> None:
        await self._check(self.per_address, "address", address)

    async def _check(self, limits: list[RateLimitItem], kind: str, key: str) -> None:
        for item in limits:
            try:
                if await self.limiter.hit(item, kind, key):
                    continue
                stats = await self.limiter.get_window_stats(item, kind, key)
            except StorageError as exc:
                log.warning("rate limit store failed; request let through", extra={"error": repr(exc.storage_error)})
                return
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(
                f"Too many requests: the limit is {item}. Try again in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
