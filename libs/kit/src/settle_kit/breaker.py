"""Guards for calls to an outside service (Stripe, Twilio): a circuit breaker and bulkheads.

- **Circuit breaker** (the `purgatory` library): after `failure_threshold` failures in a row the
  circuit opens and every call fails at once for `reset_after_s`, instead of each one waiting out
  its timeout against a service that is down; then calls are let through again, and the first
  failure opens it once more. What counts as a failure is the caller's to say (`is_failure`): a
  refused card is the outside service working, a timeout or a 5xx is not.
- **Bulkhead**: at most `limit` calls in flight through one bulkhead; the next fails at once rather
  than queue behind them. Request handlers get one, so a slow service cannot pile up requests
  (and their memory and sockets) however many arrive; background work keeps its own pace.

Both refuse with `ServiceUnavailable` carrying `Retry-After`, so an endpoint that lets it through
answers 503 with it. The state is per process: each replica learns on its own that a service is
down, within `failure_threshold` calls.

    stripe = OutsideService("stripe", failure_threshold=5, reset_after_s=30, is_failure=transient)
    requests = stripe.bulkhead(limit=32)
    async with stripe.call(requests):
        ...  # the outside call
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from settle_kit.errors import ServiceUnavailable


class Bulkhead:
    def __init__(self, service: OutsideService, limit: int) -> None:
        self.service = service
        self.limit = limit
        self.in_flight = 0

    def enter(self) -> None:
        if self.in_flight >= self.limit:
            raise self.service.unavailable(f"Too many calls to {self.service.name} are in flight; try again shortly.", retry_after_s=1)
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


class OutsideService:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 30,
        is_failure: Callable[[BaseException], bool] = lambda exc: True,
        code: str | None = None,
    ) -> None:
        self.name = name
        self.reset_after_s = reset_after_s
        self.code = code or f"{name}_unavailable"
        # purgatory's exclusion rule: an exception for which the function is true is no failure.
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=failure_threshold, default_ttl=reset_after_s, exclude=[(BaseException, lambda exc: not is_failure(exc))]
        )

    def bulkhead(self, limit: int) -> Bulkhead:
        return Bulkhead(self, limit)

    def unavailable(self, detail: str, *, retry_after_s: float) -> ServiceUnavailable:
        return ServiceUnavailable(detail, code=self.code, retry_after_s=math.ceil(retry_after_s))

    async def is_open(self) -> bool:
        breaker = await self._breakers.get_breaker(self.name)
        return breaker.context.state == "opened" and time.time() < (breaker.context.opened_at or 0) + self.reset_after_s

    @asynccontextmanager
    async def call(self, bulkhead: Bulkhead | None = None) -> AsyncIterator[None]:
        """One outside call: refused at once while the circuit is open or the bulkhead is full."""
        if bulkhead is not None:
            bulkhead.enter()
        try:
            breaker = await self._breakers.get_breaker(self.name)
            try:
                await breaker.__aenter__()
            except OpenedState as opened:
                raise self.unavailable(
                    f"{self.name} is not answering; try again later.",
                    retry_after_s=opened.opened_at + self.reset_after_s - time.time(),
                ) from None
            try:
                yield
            except BaseException as exc:
                await breaker.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            await breaker.__aexit__(None, None, None)
        finally:
            if bulkhead is not None:
                bulkhead.leave()
