"""Events and their delivery: signed like Stripe, sent asynchronously, retried with back-off.

One sender task per endpoint keeps deliveries in creation order by default; the duplicate and
reorder switches exist so consumers can be tested against what Stripe may really do.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import deque
from dataclasses import dataclass

from .encoding import dumps_str
from .ids import new_id
from .store import EventRecord

log = logging.getLogger("stripe_sim.webhooks")

API_VERSION = "2026-10-28.endive"


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def render_event(rec: EventRecord) -> str:
    head = rec.head
    head["pending_webhooks"] = len(rec.pending)
    data = '{"object":' + rec.object_json
    if rec.previous_attributes:
        data += ',"previous_attributes":' + dumps_str(rec.previous_attributes)
    data += "}"
    return dumps_str(head)[:-1] + ',"data":' + data + "}"


def matches(endpoint: dict, event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    enabled = endpoint.get("enabled_events") or ()
    return "*" in enabled or event_type in enabled


@dataclass
class Delivery:
    endpoint_id: str
    event_id: str
    attempt: int = 0


class Dispatcher:
    def __init__(self, sim) -> None:
        self.sim = sim
        self.queues: dict[str, deque] = {}
        self.wakers: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.client = None
        self.attempts_log: deque = deque(maxlen=10000)
        self.in_flight = 0

    def emit(self, type: str, obj: dict, previous_attributes: dict | None = None, account: str | None = None) -> str:
        sim = self.sim
        store = sim.store
        now = int(time.time())
        req = sim.current_request
        head = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": req[0], "idempotency_key": req[1]} if req else {"id": None, "idempotency_key": None},
            "type": type,
        }
        if account:
            head["account"] = account
        rec = EventRecord(head, dumps_str(obj), previous_attributes)
        id = head["id"]
        store.events[id] = rec
        store.index(("event",)).add(id, now)
        store.index(("event", "type", type)).add(id, now)
        store.dirty = True
        for ep_id in store.index(("webhook_endpoint",)).ids:
            ep = store.objects.get(ep_id)
            if ep is not None and matches(ep, type):
                rec.pending.add(ep_id)
                self.enqueue(Delivery(ep_id, id))
        return id

    def enqueue(self, d: Delivery) -> None:
        q = self.queues.get(d.endpoint_id)
        if q is None:
            q = self.queues[d.endpoint_id] = deque()
            self.wakers[d.endpoint_id] = asyncio.Event()
        q.append(d)
        self.wakers[d.endpoint_id].set()
        if d.endpoint_id not in self.tasks:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop yet (state being loaded): sent once the server runs
            self.tasks[d.endpoint_id] = loop.create_task(self._run(d.endpoint_id))

    def kick(self) -> None:
        """Start senders for deliveries queued before the event loop ran."""
        loop = asyncio.get_running_loop()
        for ep_id in list(self.queues):
            if ep_id not in self.tasks:
                self.tasks[ep_id] = loop.create_task(self._run(ep_id))

    async def _run(self, ep_id: str) -> None:
        q = self.queues[ep_id]
        waker = self.wakers[ep_id]
        while True:
            await waker.wait()
            waker.clear()
            window = self.sim.config.reorder_window
            if window > 0:
                await asyncio.sleep(window)
            batch = list(q)
            q.clear()
            if window > 0:
                batch.reverse()
            for d in batch:
                try:
                    await self._attempt(d)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a broken receiver must never stop the sender
                    log.exception("webhook delivery crashed")

    async def _attempt(self, d: Delivery) -> None:
        sim = self.sim
        rec = sim.store.events.get(d.event_id)
        ep = sim.store.objects.get(d.endpoint_id)
        if rec is None or ep is None or ep.get("deleted"):
            return
        secret = sim.store.endpoint_secrets.get(d.endpoint_id, "")
        if self.client is None:
            import httpx

            self.client = httpx.AsyncClient(timeout=sim.config.delivery_timeout)
        copies = 1 + max(0, sim.config.duplicates)
        ok = False
        status = None
        self.in_flight += 1
        try:
            for _ in range(copies):
                payload = render_event(rec)
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(payload, secret),
                }
                try:
                    resp = await self.client.post(ep["url"], content=payload.encode(), headers=headers)
                    status = resp.status_code
                    ok = ok or 200 <= status < 300
                except Exception as exc:  # connection refused, timeout: a failed attempt like any other
                    status = None
                    log.info("webhook %s to %s failed: %s", d.event_id, ep["url"], exc)
        finally:
            self.in_flight -= 1
        self.attempts_log.append((time.time(), d.endpoint_id, d.event_id, d.attempt, status))
        if ok:
            rec.pending.discard(d.endpoint_id)
            rec.failed.discard(d.endpoint_id)
            sim.store.dirty = True
            return
        rec.failed.add(d.endpoint_id)
        schedule = sim.config.retry_schedule
        if d.attempt < len(schedule):
            delay = schedule[d.attempt]
            nxt = Delivery(d.endpoint_id, d.event_id, d.attempt + 1)
            asyncio.get_running_loop().call_later(delay, self.enqueue, nxt)
        else:
            rec.pending.discard(d.endpoint_id)
        sim.store.dirty = True

    def idle(self) -> bool:
        return self.in_flight == 0 and not any(self.queues.values())

    async def close(self) -> None:
        for t in self.tasks.values():
            t.cancel()
        self.tasks.clear()
        if self.client is not None:
            await self.client.aclose()
            self.client = None
