"""In-memory state: every object by id, plus creation-ordered indexes for listing.

Lists are served newest first from per-filter indexes (by type, by customer, by payment intent…),
and `created` ranges are found by bisection, so listing never slows down creating or confirming.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field


class OrderedIndex:
    __slots__ = ("ids", "created", "pos")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.created: list[int] = []
        self.pos: dict[str, int] = {}

    def add(self, id: str, created: int) -> None:
        self.pos[id] = len(self.ids)
        self.ids.append(id)
        # Clocks can step back; keep the list sorted so bisection stays valid.
        if self.created and created < self.created[-1]:
            created = self.created[-1]
        self.created.append(created)


@dataclass
class EventRecord:
    head: dict  # everything but data
    object_json: str  # data.object, frozen when the event happened
    previous_attributes: dict | None
    pending: set = field(default_factory=set)  # endpoint ids not yet delivered
    failed: set = field(default_factory=set)  # endpoint ids whose last attempt failed


class Store:
    def __init__(self) -> None:
        self.objects: dict[str, dict] = {}
        # Simulator-only facts about an object (full card number, checkout tokens…), never served.
        self.private: dict[str, dict] = {}
        self.indexes: dict[tuple, OrderedIndex] = {}
        self.events: dict[str, EventRecord] = {}
        self.endpoint_secrets: dict[str, str] = {}
        self.dirty = False

    def index(self, key: tuple) -> OrderedIndex:
        idx = self.indexes.get(key)
        if idx is None:
            idx = self.indexes[key] = OrderedIndex()
        return idx

    def add(self, obj: dict, *extra_keys: tuple) -> dict:
        id = obj["id"]
        self.objects[id] = obj
        created = obj.get("created") or int(time.time())
        self.index((obj["object"],)).add(id, created)
        for key in extra_keys:
            self.index(key).add(id, created)
        self.dirty = True
        return obj

    def get(self, id: str) -> dict | None:
        return self.objects.get(id)

    def delete(self, id: str) -> None:
        self.objects.pop(id, None)
        self.dirty = True

    def page(
        self,
        key: tuple,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: dict | None = None,
        predicate=None,
        lookup=None,
    ) -> tuple[list, bool]:
        """Newest-first page from index `key`; returns (items, has_more)."""
        idx = self.indexes.get(key)
        if idx is None:
            return [], False
        lookup = lookup or self.objects.get
        lo, hi = 0, len(idx.ids)
        if created:
            if "gte" in created:
                lo = max(lo, bisect.bisect_left(idx.created, created["gte"]))
            if "gt" in created:
                lo = max(lo, bisect.bisect_right(idx.created, created["gt"]))
            if "lte" in created:
                hi = min(hi, bisect.bisect_right(idx.created, created["lte"]))
            if "lt" in created:
                hi = min(hi, bisect.bisect_left(idx.created, created["lt"]))
            if "eq" in created:
                lo = max(lo, bisect.bisect_left(idx.created, created["eq"]))
                hi = min(hi, bisect.bisect_right(idx.created, created["eq"]))
        out: list = []
        if ending_before is not None:
            p = idx.pos.get(ending_before)
            if p is not None:
                lo = max(lo, p + 1)
            i = lo
            while i < hi and len(out) <= limit:
                obj = lookup(idx.ids[i])
                if obj is not None and (predicate is None or predicate(obj)):
                    out.append(obj)
                i += 1
            has_more = len(out) > limit
            out = out[:limit]
            out.reverse()
            return out, has_more
        if starting_after is not None:
            p = idx.pos.get(starting_after)
            if p is not None:
                hi = min(hi, p)
        i = hi - 1
        while i >= lo and len(out) <= limit:
            obj = lookup(idx.ids[i])
            if obj is not None and (predicate is None or predicate(obj)):
                out.append(obj)
            i -= 1
        has_more = len(out) > limit
        return out[:limit], has_more
