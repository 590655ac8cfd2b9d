"""One OpenAPI document for the whole public API, merged from the services' own documents.

Only `/v1/*` paths are taken. Component schemas that two services name alike but define
differently are renamed `<service>_<Name>` in the merged document.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx


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
    merged = copy.deepcopy(own)
    merged.setdefault("paths", {})
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    merged["components"].setdefault("securitySchemes", {})
    missing = []
    for service, document in sorted(documents.items()):
        if document is None:
            missing.append(service)
            continue
        document = _rename_conflicts(service, document, schemas)
        for path, item in document.get("paths", {}).items():
            if path.startswith("/v1/"):
                for operation in item.values():
                    if isinstance(operation, dict):
                        operation.setdefault("tags", [service])
                merged["paths"][path] = item
        schemas.update(document.get("components", {}).get("schemas", {}))
        merged["components"]["securitySchemes"].update(document.get("components", {}).get("securitySchemes", {}))
    if missing:
        merged["info"]["x-missing-services"] = missing
    return merged


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
