"""A service's OpenAPI document as the whole contract, applied by `create_service_app` to every
service (the gateway merges the services' documents into the public one).

On top of what FastAPI derives from the endpoints:

- every error is `application/problem+json` with one `Problem` schema (FastAPI's
  `HTTPValidationError` is gone), and every operation lists the errors it can answer by what it
  is: 401 and 403 when it needs a token, 404 and 422 when it takes input (an id in the path or
  the body may name something missing or not the caller's), 400 when it takes a body, 409 when it changes state, 503 always (a dependency, Stripe or the database, away). An
  endpoint adds what only it answers with `responses=problems(402)`. The gateway adds what it
  answers itself (413, 429, 502, 504). `code` is an enum of every code the service can answer,
  read from its source where each is raised (`settle_kit.problem_codes`), and documented by its
  `type` (`/problems/<code>`);
- currencies are an enum, from `settle_kit.money`'s one table;
- an endpoint that takes a raw body (a webhook) says so with `openapi_extra=raw_body(...)`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from settle_kit.errors import PROBLEM_JSON
from settle_kit.money import SUPPORTED
from settle_kit.problem_codes import codes_of

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem. `code` is stable; validation problems name each field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/not_found"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "examples": ["validation_error"]},
        "instance": {"type": "string"},
        "stripe_code": {"type": "string", "description": "Stripe's own error code, beside ours, when Stripe refused"},
        "decline_code": {"type": "string", "description": "Stripe's decline code of a declined card"},
        "billing_code": {"type": "string", "description": "Billing's code, beside ours, when billing refused"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": ["string", "null"]}},
            },
        },
    },
}
CURRENCY_SCHEMA = {"type": "string", "enum": sorted(SUPPORTED), "description": "Lowercase ISO 4217 code", "examples": ["usd"]}
_CURRENCY_PATTERN = "^[a-z]{3}$"  # settle_kit.money.Currency

DESCRIPTIONS = {
    400: "Bad request", 401: "Missing, invalid or expired token", 402: "Payment required", 403: "Not allowed",
    404: "Not found, or not the caller's to see", 409: "Conflict with the current state, or an idempotency key reused",
    413: "Body too large", 422: "Invalid input (the fields are named)", 429: "Rate limited (see Retry-After)",
    502: "Broken answer from a service", 503: "A dependency is unavailable (see Retry-After when given)",
    504: "A service did not answer in time",
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def problem_response(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "Problem"), "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for an endpoint that answers problems beyond the standard set (e.g. 402)."""
    return {status: problem_response(status) for status in statuses}


def raw_body(media_type: str, *, signature_header: str, description: str) -> dict[str, Any]:
    """`openapi_extra=` for an endpoint that reads its body raw (a webhook): the body as it is
    sent, and the header its signature comes in."""
    schema = {"type": "object", "additionalProperties": True} if "json" in media_type else {
        "type": "object", "additionalProperties": {"type": "string"}}
    return {
        "requestBody": {"required": True, "description": description, "content": {media_type: {"schema": schema}}},
        "parameters": [{"name": signature_header, "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "The sender's signature of the raw body"}],
    }


def problem_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The Problem schema whose `code` is one of `codes`."""
    schema = copy.deepcopy(PROBLEM_SCHEMA)
    schema["properties"]["code"] = {"type": "string", "enum": sorted(codes)}
    return schema


def contract(document: dict[str, Any], codes: Iterable[str] = ()) -> dict[str, Any]:
    """Rewrites a FastAPI document in place as described above, and returns it. `codes`: the
    problem codes its operations can answer (none given: `code` is any snake_case string)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    codes = frozenset(codes)
    schemas["Problem"] = problem_schema(codes) if codes else PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        shared_parameters = item.get("parameters", [])
        for method, operation in item.items():
            if method in _METHODS:
                _describe_errors(method, operation, shared_parameters)
    _currencies(document)
    return document


def _describe_errors(method: str, operation: dict[str, Any], shared_parameters: list) -> None:
    responses = operation.setdefault("responses", {})
    parameters = [*shared_parameters, *operation.get("parameters", [])]
    statuses = {503}
    if operation.get("security"):
        statuses |= {401, 403}
    if parameters or "requestBody" in operation:
        # An id in the path or the body may name something missing or not the caller's to see.
        statuses |= {404, 422}
    if "requestBody" in operation:
        statuses.add(400)  # a body that cannot be read at all (not UTF-8): FastAPI's own refusal
    if method in _WRITES:
        statuses.add(409)
    for status in sorted(statuses):
        key = str(status)
        if key not in responses or _is_fastapi_validation(responses[key]):
            responses[key] = problem_response(status)
    for key, response in responses.items():  # problems declared by the endpoint: one schema, one type
        if key[:1] in "45" and "content" in response:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def _currencies(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get("pattern") == _CURRENCY_PATTERN and value.get("type") == "string":
                node[key] = {**{k: v for k, v in value.items() if k not in ("pattern", "examples")}, **CURRENCY_SCHEMA}
            else:
                _currencies(value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict) and value.get("pattern") == _CURRENCY_PATTERN and value.get("type") == "string":
                node[i] = {**{k: v for k, v in value.items() if k not in ("pattern", "examples")}, **CURRENCY_SCHEMA}
            else:
                _currencies(value)


def install(app: FastAPI, packages: Iterable[str] = ()) -> None:
    """Makes `app.openapi()` (and `/openapi.json`) the contract above, built once. `packages`:
    where the app's code lives, whose problem codes it answers (with the kit's)."""
    packages = {*packages, "settle_kit"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = contract(get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version, description=app.description,
                routes=app.routes, tags=app.openapi_tags, servers=app.servers,
            ), codes_of(packages))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

