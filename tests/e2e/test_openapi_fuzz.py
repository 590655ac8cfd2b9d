"""The public OpenAPI document fuzzed against a fresh platform with schemathesis: no server
error, no status code or content type the document does not list, no answer that breaks its
schema. Operations run with a user's token, `/v1/admin/*` ones with an admin's.

Bounded: a few examples per operation and mode (SETTLE_FUZZ_EXAMPLES, default 40;
SETTLE_FUZZ_MODES, default positive,negative): about a minute here with the platform's start.
The Stripe webhook is fuzzed too: without a valid signature every body must be refused with a
documented 400, which is what it checks there. The dev tokens endpoint is fuzzed like any other.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from settle_testing.platform import start_platform

# Valid input (positive) and input the document forbids (negative: must be refused, with a
# documented 4xx problem, never a 5xx).
MODES = [GenerationMode(m) for m in os.environ.get("SETTLE_FUZZ_MODES", "positive,negative").split(",")]
EXAMPLES = int(os.environ.get("SETTLE_FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Known findings in other services, each excluded by name so the run still guards the rest.
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_platform():
    # Its own platform: fuzzed data (packages, payouts) must not meet the other tests' assertions.
    running = start_platform({"GATEWAY_RATE_LIMIT": "100000/second", "GATEWAY_RATE_LIMIT_BY_ADDRESS": "100000/second"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(fuzzed_platform):
    loaded = schemathesis.openapi.from_url(fuzzed_platform.gateway_url + "/openapi.json")
    loaded.config.update(base_url=fuzzed_platform.gateway_url)
    return loaded


def test_the_api_keeps_its_documented_contract(api_schema, fuzzed_platform):
    failures: dict[str, str] = {}
    for mode, result in ((mode, result) for mode in MODES for result in api_schema.get_all_operations()):
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path} ({mode.value})"
        if label.rsplit(" (", 1)[0] in KNOWN:
            continue
        role = "admin" if operation.path.startswith("/v1/admin/") else "user"
        headers = {} if operation.path.startswith("/v1/webhooks/") else fuzzed_platform.headers(f"fuzz-{role}", role)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate], database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=15)

        try:
            fuzz()
        except BaseException as exc:  # every operation is fuzzed; all findings are reported together
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            failures[label] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
