"""The public OpenAPI document: the services' public operations only, every route served, and the
errors, currencies, idempotency keys and webhook bodies described as they are."""

from __future__ import annotations

import importlib
import re
from contextlib import ExitStack

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway import routes
from gateway.app import create_app
from gateway.config import Settings
from settle_kit.errors import PROBLEM_JSON
from settle_kit.money import SUPPORTED
from settle_testing.servers import serve_in_thread

SERVICES = ("billing", "bookings", "messaging", "notifications")
INTERNAL_SCHEMAS = {"TransferCreate", "TransferOut", "BookingPaymentCreate", "PayoutAccountOpen"}
# Routed to endpoints that other work of this session is building; each must leave this set when
# its service serves it.
PENDING: set[str] = set()
# Routed pages for people, not API operations: in no OpenAPI document.
PAGES = {"/pay", "/files"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    # The services' own documents, made in-process (no database needed to describe an app).
    return {s: importlib.import_module(f"{s}.app").create_app().openapi() for s in SERVICES}


@pytest.fixture(scope="module")
def merged(documents) -> dict:
    def serving(document: dict) -> FastAPI:
        app = FastAPI(openapi_url=None)
        app.get("/openapi.json")(lambda: document)
        return app

    with ExitStack() as stack:
        urls = {s: stack.enter_context(serve_in_thread(serving(documents[s]))) for s in SERVICES}
        settings = Settings(**{f"{s}_url": url for s, url in urls.items()})
        with TestClient(create_app(settings)) as client:
            return client.get("/openapi.json").json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_only_public_operations_and_their_schemas_are_in_the_document(merged):
    assert not [p for p in merged["paths"] if not p.startswith("/v1/")]
    schemas = set(merged["components"]["schemas"])
    assert not schemas & INTERNAL_SCHEMAS
    assert not {"HTTPValidationError", "ValidationError"} & schemas
    renamed = [name for name in schemas if re.match(rf"^({'|'.join(SERVICES)})_", name)]
    assert not renamed, "a schema defined twice, differently, by two services"


def test_the_gateway_routes_no_path_to_a_service_that_does_not_serve_it(merged, documents):
    for prefix, service in routes.ROUTES.items():
        served = [p for p in documents[service]["paths"] if p == prefix or p.startswith(prefix + "/")]
        if prefix in PENDING or prefix in PAGES:
            continue
        assert served, f"{prefix} is routed to {service}, which serves nothing there"
    for service, document in documents.items():
        for path in document["paths"]:
            if path.startswith("/v1/"):
                assert routes.service_for(path) == service, f"{service} serves {path}, routed to {routes.service_for(path)}"
                assert path in merged["paths"]


def test_every_operation_lists_its_errors_as_problems(merged):
    for path, method, operation in operations(merged):
        responses = operation["responses"]
        for status in ("429", "503"):
            assert status in responses, (path, method, status)
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (path, status)
    problem = merged["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}


def test_currencies_are_an_enum_and_idempotency_keys_are_declared(merged):
    money = merged["components"]["schemas"]["Money"]
    assert set(money["properties"]["currency"]["enum"]) == set(SUPPORTED)
    create_payment = merged["paths"]["/v1/payments"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create_payment["parameters"] if p["in"] == "header"]


def test_the_stripe_webhook_is_a_raw_signed_body(merged):
    webhook = merged["paths"]["/v1/webhooks/stripe"]["post"]
    assert "security" not in webhook
    signature = next(p for p in webhook["parameters"] if p["name"] == "Stripe-Signature")
    assert signature["in"] == "header" and signature["required"] is True
    assert "application/json" in webhook["requestBody"]["content"]
    assert "400" in webhook["responses"]


def test_problem_codes_are_one_enum_of_every_services_codes(merged):
    assert [name for name in merged["components"]["schemas"] if name.endswith("Problem")] == ["Problem"]
    codes = set(merged["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    # One of each service's own, the gateway's, the kit's.
    assert {"payment_not_found", "slot_unavailable", "conversation_not_found", "contact_not_found"} <= codes
    assert {"rate_limited", "upstream_unavailable", "validation_error", "idempotency_key_reused"} <= codes
    assert all(code.replace("_", "").isalnum() and code.islower() for code in codes)
