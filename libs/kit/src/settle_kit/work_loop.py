"""A background loop for work stored in the database (webhook events, Stripe tasks, …).

It drains what is due, then sleeps until it is woken (new work was just stored) or the poll
interval passes (work whose retry time came, or stored by another replica). A failing round is
logged and retried on the next one: the loop itself never dies of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class WorkLoop:
    def __init__(self, name: str, process_due: Callable[[], Awaitable[int]], poll_interval_s: float) -> None:
        self.name = name
        self.process_due = process_due
        self.poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.process_due():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("work loop failed", extra={"loop": self.name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            self._wake.clear()
