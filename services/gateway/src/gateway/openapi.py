"""One OpenAPI document for the whole public API, merged from the services' own documents.

Only the paths the gateway routes to a service are taken from its document, with the schemas
they use (internal operations and their schemas stay out). Every operation also lists what the
gateway itself may answer (429, 413, 502, 503, 504). Component schemas that two services name
alike but define differently would be renamed `<service>_<Name>`; a test keeps there being none.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx

from settle_kit.openapi import contract, problem_response, problem_schema
from settle_kit.problem_codes import codes_of

from gateway import routes

_SCHEMA_REF = "#/components/schemas/"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


async def fetch_documents(client: httpx.AsyncClient, upstreams: dict[str, str]) -> dict[str, dict | None]:
    async def fetch(url: str) -> dict | None:
        try:
            response = await client.get(url + "/openapi.json", timeout=3)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError):
            return None

    results = await asyncio.gather(*(fetch(url) for url in upstreams.values()))
    return dict(zip(upstreams, results, strict=True))


def merge(own: dict[str, Any], documents: dict[str, dict | None]) -> dict[str, Any]:
    codes = set(codes_of({"gateway"}))  # what the gateway answers itself, and the kit's
    merged = contract(copy.deepcopy(own), codes)
    merged.setdefault("paths", {})
    for item in merged["paths"].values():
        for method, operation in item.items():
            if method in _METHODS:
                operation["responses"].setdefault("429", problem_response(429))
    schemas = merged["components"]["schemas"]
    merged["components"].setdefault("securitySchemes", {})
    missing = []
    for service, document in sorted(documents.items()):
        if document is None:
            missing.append(service)
            continue
        document = public_part(service, document)
        # One Problem schema: its `code` is any code of any service's.
        problem = document["components"]["schemas"].pop("Problem", {})
        codes |= set(problem.get("properties", {}).get("code", {}).get("enum", []))
        document = _rename_conflicts(service, document, schemas)
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method in _METHODS:
                    operation.setdefault("tags", [service])
                    _gateway_problems(operation)
            merged["paths"][path] = item
        schemas.update(document["components"]["schemas"])
        merged["components"]["securitySchemes"].update(document["components"].get("securitySchemes", {}))
    schemas["Problem"] = problem_schema(codes)
    if missing:
        merged["info"]["x-missing-services"] = missing
    return merged


def public_part(service: str, document: dict[str, Any]) -> dict[str, Any]:
    """The operations the gateway routes to `service` (internal ones, `/internal/...`, are not
    routed), and only the schemas they use: an internal operation's schemas stay out of sight."""
    paths = {path: item for path, item in document.get("paths", {}).items() if routes.service_for(path) == service}
    every = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name not in used and name in every:
            used.add(name)
            pending |= _refs(every[name])
    components = {**document.get("components", {}), "schemas": {name: every[name] for name in sorted(used)}}
    return copy.deepcopy({**document, "paths": paths, "components": components})


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            found.add(ref[len(_SCHEMA_REF):])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _gateway_problems(operation: dict[str, Any]) -> None:
    """What the gateway itself may answer for any operation it forwards."""
    responses = operation.setdefault("responses", {})
    statuses = [429, 502, 503, 504] + ([413] if "requestBody" in operation else [])
    for status in statuses:
        responses.setdefault(str(status), problem_response(status))


def _rename_conflicts(service: str, document: dict, existing: dict) -> dict:
    theirs = document.get("components", {}).get("schemas", {})
    renames = {name: f"{service}_{name}" for name, schema in theirs.items() if name in existing and existing[name] != schema}
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed = json.loads(text)
    component_schemas = renamed["components"]["schemas"]
    for old, new in renames.items():
        component_schemas[new] = component_schemas.pop(old)
    return renamed
