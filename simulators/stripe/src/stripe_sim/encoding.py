"""JSON encoding on the hot path: orjson when installed, the standard library otherwise."""

from __future__ import annotations

import json

try:
    import orjson

    def dumps_bytes(obj) -> bytes:
        return orjson.dumps(obj)

    def dumps_str(obj) -> str:
        return orjson.dumps(obj).decode()

except ImportError:  # pragma: no cover - orjson is a declared dependency

    def dumps_bytes(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    def dumps_str(obj) -> str:
        return json.dumps(obj, separators=(",", ":"))
