"""A background loop for work stored in the database (webhook events, Stripe tasks, …).

It drains what is due, then sleeps until it is woken (new work was just stored) or the poll
interval passes (work whose retry time came, or stored by another replica). A failing round is
logged and retried on the next one: the loop itself never dies of it.

`pace_s` spaces rounds while work keeps coming: a loop woken sooner than that after its last
round began waits out the rest, and what is stored meanwhile joins the next round. Under a steady
stream one round (one transaction) then covers many items instead of one each, for at most
`pace_s` more latency; an idle loop still starts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class WorkLoop:
    def __init__(
        self, name: str, process_due: Callable[[], Awaitable[int]], poll_interval_s: float, *, pace_s: float = 0.0
    ) -> None:
        self.name = name
        self.process_due = process_due
        self.poll_interval_s = poll_interval_s
        self.pace_s = pace_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        clock = asyncio.get_running_loop().time
        while True:
            began = clock()
            try:
                busy = bool(await self.process_due())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("work loop failed", extra={"loop": self.name})
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            self._wake.clear()
            if (rest := began + self.pace_s - clock()) > 0:
                await asyncio.sleep(rest)
