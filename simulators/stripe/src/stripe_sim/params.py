"""Typed reading of decoded form parameters, with Stripe's validation errors."""

from __future__ import annotations

from . import errors
from .errors import StripeError

# A schema maps parameter names to None (scalar), "*" (free-form map or list), or a nested schema.
ANY = "*"
COMMON = {"expand": ANY}


def check_unknown(params: dict, schema: dict, prefix: str = "") -> None:
    for key, value in params.items():
        sub = schema.get(key, KeyError)
        name = f"{prefix}[{key}]" if prefix else key
        if sub is KeyError:
            if not prefix and key in COMMON:
                continue
            raise errors.unknown(name)
        if isinstance(sub, dict):
            if isinstance(value, dict):
                check_unknown(value, sub, name)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        check_unknown(item, sub, f"{name}[{i}]")
            elif value != "":
                raise errors.invalid(name, f"Invalid object", code="parameter_invalid")


def get_str(params: dict, name: str, required: bool = False, choices=None, param: str | None = None):
    value = params.get(name)
    param = param or name
    if value is None:
        if required:
            raise errors.missing(param)
        return None
    if not isinstance(value, str):
        raise errors.invalid(param, f"Invalid string: {_show(value)}", code="parameter_invalid_string")
    if choices is not None and value not in choices:
        raise errors.invalid(
            param,
            f"Invalid {param}: must be one of {', '.join(choices)}",
            code="parameter_invalid",
        )
    return value


def get_int(params: dict, name: str, required: bool = False, minimum: int | None = None, param: str | None = None):
    value = params.get(name)
    param = param or name
    if value is None or value == "":
        if required:
            raise errors.missing(param)
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and (value.isdigit() or (value[:1] == "-" and value[1:].isdigit())):
        n = int(value)
    else:
        raise errors.invalid(param, f"Invalid integer: {_show(value)}", code="parameter_invalid_integer")
    if minimum is not None and n < minimum:
        raise errors.invalid(
            param, f"This value must be greater than or equal to {minimum}.", code="parameter_invalid_integer"
        )
    return n


def get_bool(params: dict, name: str, default: bool | None = None, param: str | None = None):
    value = params.get(name)
    if value is None or value == "":
        return default
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise errors.invalid(param or name, f"Invalid boolean: {_show(value)}", code="parameter_invalid_boolean")


def get_dict(params: dict, name: str, param: str | None = None) -> dict | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise errors.invalid(param or name, f"Invalid object", code="parameter_invalid")
    return value


def get_list(params: dict, name: str, param: str | None = None) -> list | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        raise errors.invalid(param or name, "Invalid array", code="parameter_invalid")
    return value


def metadata(params: dict, current: dict | None = None, name: str = "metadata") -> dict:
    """Stripe's metadata rules: merge on update, empty value unsets a key, empty string clears all."""
    out = dict(current or {})
    if name not in params:
        return out
    value = params[name]
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise errors.invalid(name, "Invalid object", code="parameter_invalid")
    for k, v in value.items():
        if len(k) > 40:
            raise errors.invalid(f"{name}[{k}]", "Metadata keys can have a maximum length of 40 characters.")
        if not isinstance(v, str):
            raise errors.invalid(f"{name}[{k}]", "Invalid string", code="parameter_invalid_string")
        if len(v) > 500:
            raise errors.invalid(f"{name}[{k}]", "Metadata values can have a maximum length of 500 characters.")
        if v == "":
            out.pop(k, None)
        else:
            out[k] = v
    if len(out) > 50:
        raise errors.invalid(name, "You can specify up to 50 keys, with key names up to 40 characters long and values up to 500 characters long.")
    return out


def created_filter(params: dict, name: str = "created") -> dict | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return {"eq": get_int(params, name)}
    if not isinstance(value, dict):
        raise errors.invalid(name, "Invalid object")
    out = {}
    for op, v in value.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise errors.unknown(f"{name}[{op}]")
        out[op] = get_int(value, op, param=f"{name}[{op}]")
    return out


def list_args(params: dict) -> dict:
    limit = get_int(params, "limit")
    if limit is None:
        limit = 10
    elif not 1 <= limit <= 100:
        raise errors.invalid("limit", "This value must be greater than or equal to 1 and less than or equal to 100.",
                             code="parameter_invalid_integer")
    return {
        "limit": limit,
        "starting_after": get_str(params, "starting_after"),
        "ending_before": get_str(params, "ending_before"),
        "created": created_filter(params),
    }


LIST_SCHEMA = {"limit": None, "starting_after": None, "ending_before": None, "created": ANY}


def _show(value) -> str:
    return value if isinstance(value, str) else repr(value)


def require_one_of(params: dict, *names: str) -> None:
    if not any(params.get(n) not in (None, "") for n in names):
        raise StripeError(400, f"You must provide one of: {', '.join(names)}.", code="parameter_missing", param=names[0])
