"""Log lines are JSON carrying the service, trace and request ids."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from settle_kit import context
from settle_kit.logs import configure_logging
from settle_kit.telemetry import configure_tracing


def test_a_log_line_carries_service_trace_and_request_ids(capsys):
    configure_tracing("tests", "none")
    configure_logging("billing", "INFO", "json")
    token = context.request_id.set("req-42")
    try:
        with trace.get_tracer("test").start_as_current_span("work") as span:
            logging.getLogger("billing.payments").info("payment created", extra={"payment_id": "pay_1"})
    finally:
        context.request_id.reset(token)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "payment created"
    assert line["service"] == "billing"
    assert line["level"] == "info"
    assert line["request_id"] == "req-42"
    assert line["payment_id"] == "pay_1"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
