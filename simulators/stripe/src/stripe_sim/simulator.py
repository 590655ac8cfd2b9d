"""The simulator's state and services, shared by every resource module."""

from __future__ import annotations

import asyncio
import time

from .config import Config
from .idempotency import IdempotencyCache
from .ids import new_id
from .store import Store
from .webhooks import Dispatcher


class Simulator:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.store = Store()
        self.idempotency = IdempotencyCache()
        self.webhooks = Dispatcher(self)
        # (request id, idempotency key) of the API request being handled, echoed in its events.
        self.current_request: tuple[str, str | None] | None = None
        self.base_url = self.config.public_url or "http://127.0.0.1:12111"
        self.expiry_heap: list = []

    def emit(self, type: str, obj: dict, previous_attributes: dict | None = None, account: str | None = None) -> str:
        return self.webhooks.emit(type, obj, previous_attributes, account)

    def later(self, delay: float, fn, *args) -> None:
        """Run fn on the event loop after delay seconds; for Stripe's asynchronous follow-ups."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            fn(*args)
            return
        loop.call_later(delay, self._guarded, fn, args)

    def _guarded(self, fn, args) -> None:
        prev = self.current_request
        self.current_request = None
        try:
            fn(*args)
        finally:
            self.current_request = prev

    def register_endpoint(self, url: str, enabled_events: list, secret: str | None = None,
                          description: str | None = None, metadata: dict | None = None,
                          api_version: str | None = None) -> dict:
        from .ids import token

        ep = {
            "id": new_id("we"),
            "object": "webhook_endpoint",
            "api_version": api_version,
            "application": None,
            "created": int(time.time()),
            "description": description,
            "enabled_events": enabled_events,
            "livemode": False,
            "metadata": metadata or {},
            "status": "enabled",
            "url": url,
        }
        self.store.endpoint_secrets[ep["id"]] = secret or ("whsec_" + token(32))
        self.store.add(ep)
        return ep

    @staticmethod
    def now() -> int:
        return int(time.time())
