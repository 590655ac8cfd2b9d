"""Decoding of Stripe's form encoding (`a[b][c]=v`, `a[]=v`, `a[0][b]=v`) into nested dicts and lists.

Values stay strings: Stripe itself types them per parameter, and so do the resources here.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

# Free-form maps whose keys may look like list indexes ("0", "1") and must stay maps.
_FREE_FORM = frozenset({"metadata"})


class FormError(ValueError):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


def decode(raw: bytes | str) -> dict:
    if not raw:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    root: dict = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        key = unquote_plus(key)
        value = unquote_plus(value) if sep else ""
        _assign(root, key, value)
    return _listify(root, None)


def _assign(root: dict, key: str, value: str) -> None:
    bracket = key.find("[")
    if bracket <= 0:
        root[key] = value
        return
    head = key[:bracket]
    parts = [head]
    rest = key[bracket:]
    while rest:
        if rest[0] != "[":
            raise FormError(f"Invalid parameter name: {key}", key)
        end = rest.find("]")
        if end < 0:
            raise FormError(f"Invalid parameter name: {key}", key)
        parts.append(rest[1:end])
        rest = rest[end + 1 :]
    node = root
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        child = node.get(part) if isinstance(node, dict) else None
        if part == "" and isinstance(node, list):
            # `a[][b]=x` style: each occurrence opens a new element only when the
            # previous element already holds this sub-key.
            if node and isinstance(node[-1], dict) and nxt not in node[-1]:
                child = node[-1]
            else:
                child = {}
                node.append(child)
            node = child
            continue
        if child is None or isinstance(child, str):
            child = [] if nxt == "" else {}
            node[part] = child
        node = child
    last = parts[-1]
    if last == "":
        if isinstance(node, list):
            node.append(value)
        else:
            raise FormError(f"Invalid array parameter: {key}", key)
    else:
        if isinstance(node, list):
            raise FormError(f"Invalid array parameter: {key}", key)
        node[last] = value


def _listify(node, name):
    if isinstance(node, dict):
        out = {k: _listify(v, k) for k, v in node.items()}
        if out and name not in _FREE_FORM and all(k.isdigit() for k in out):
            return [out[k] for k in sorted(out, key=int)]
        return out
    if isinstance(node, list):
        return [_listify(v, None) for v in node]
    return node
