"""Idempotency-Key handling: replay the first response for the same parameters, refuse others, 24 h."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from .errors import StripeError

TTL_SECONDS = 24 * 3600


@dataclass
class Entry:
    method: str
    path: str
    params: dict
    status: int
    body: bytes
    stored_at: float


class IdempotencyCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        # Insertion order is time order, so expiry only ever looks at the front.
        self.entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def _expire(self, now: float) -> None:
        entries = self.entries
        while entries:
            first = next(iter(entries.values()))
            if now - first.stored_at < self.ttl:
                break
            entries.popitem(last=False)

    def lookup(self, owner: str, key: str, method: str, path: str, params: dict) -> Entry | None:
        self._expire(time.time())
        entry = self.entries.get((owner, key))
        if entry is None:
            return None
        if entry.method != method or entry.path != path:
            raise StripeError(
                400,
                f"Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"('{entry.method} {entry.path}' vs '{method} {path}'). Try using a key other than '{key}' if you "
                "meant to execute a different request.",
                type="idempotency_error",
            )
        if entry.params != params:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                f"Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        return entry

    def save(self, owner: str, key: str, method: str, path: str, params: dict, status: int, body: bytes) -> None:
        self.entries[(owner, key)] = Entry(method, path, params, status, body, time.time())

    def dump(self) -> list:
        return [
            [o, k, e.method, e.path, e.params, e.status, e.body.decode(), e.stored_at]
            for (o, k), e in self.entries.items()
        ]

    def load(self, rows: list) -> None:
        for o, k, method, path, params, status, body, stored_at in rows:
            self.entries[(o, k)] = Entry(method, path, params, status, body.encode(), stored_at)
