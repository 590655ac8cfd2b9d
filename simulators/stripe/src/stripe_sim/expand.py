"""`expand[]`: replace id strings by the objects they name, along dotted paths."""

from __future__ import annotations

from .errors import StripeError


def expand(obj, paths: list, lookup) -> object:
    for path in paths:
        obj = _expand(obj, path.split("."), lookup, path)
    return obj


def _expand(node, parts, lookup, full):
    if not parts:
        return node
    if isinstance(node, list):
        return [_expand(x, parts, lookup, full) for x in node]
    if not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    if head not in node:
        raise StripeError(
            400,
            f"This property cannot be expanded ({full}).",
            code="parameter_invalid",
            param="expand",
        )
    value = node[head]
    if isinstance(value, str):
        target = lookup(value)
        if target is None:
            return node
        value = target
    new = dict(node)
    new[head] = _expand(value, rest, lookup, full)
    return new
