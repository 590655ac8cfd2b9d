"""Optional persistence of the whole state to one JSON file (`--state-file`)."""

from __future__ import annotations

import json
import os
import tempfile

from .store import EventRecord, OrderedIndex

FORMAT = 1


def save(sim, path: str) -> None:
    store = sim.store
    data = {
        "format": FORMAT,
        "objects": store.objects,
        "private": store.private,
        "indexes": [[list(k), idx.ids, idx.created] for k, idx in store.indexes.items()],
        "events": {
            id: [rec.head, rec.object_json, rec.previous_attributes, sorted(rec.pending), sorted(rec.failed)]
            for id, rec in store.events.items()
        },
        "endpoint_secrets": store.endpoint_secrets,
        "idempotency": sim.idempotency.dump(),
    }
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".stripe-sim-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)  # atomic: a crash mid-write never leaves half a file
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    store.dirty = False


def load(sim, path: str) -> None:
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return
    with open(path) as f:
        data = json.load(f)
    store = sim.store
    store.objects = data["objects"]
    store.private = data["private"]
    store.indexes = {}
    for key, ids, created in data["indexes"]:
        idx = OrderedIndex()
        idx.ids = ids
        idx.created = created
        idx.pos = {id: i for i, id in enumerate(ids)}
        store.indexes[tuple(key)] = idx
    store.events = {
        id: EventRecord(head, obj, prev, set(pending), set(failed))
        for id, (head, obj, prev, pending, failed) in data["events"].items()
    }
    store.endpoint_secrets = data["endpoint_secrets"]
    sim.idempotency.load(data.get("idempotency", []))
    store.dirty = False
    # Deliveries still pending when the state was saved are sent again once the server runs.
    from .webhooks import Delivery

    for id, rec in store.events.items():
        for ep_id in rec.pending:
            sim.webhooks.enqueue(Delivery(ep_id, id))
