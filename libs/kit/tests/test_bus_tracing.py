"""One trace spans the emitting request, the publish and the consume in another service."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bus_fixtures import Pinged, counts, emit, record, recording, settings_for, start_bus, wait_for
from settle_kit.bus.subscriptions import Batched
from settle_kit.telemetry import configure_tracing


@pytest.fixture
def spans() -> InMemorySpanExporter:
    configure_tracing("tests", "none")  # the process-wide SDK provider, installed once
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


async def test_publish_and_consume_continue_the_emitting_trace(spans, world):
    alpha_db, beta_db, ns = world
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording()})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        with trace.get_tracer("test").start_as_current_span("POST /v1/things") as request_span:
            await emit(alpha_db, 1)
        await wait_for(lambda: _has(beta_db, 1))
        await wait_for(lambda: _finished(spans, "test.pinged process"))
    finally:
        await alpha.stop()
        await beta.stop()

    by_name = {s.name: s for s in spans.get_finished_spans()}
    trace_id = request_span.get_span_context().trace_id
    publish, process = by_name["test.pinged publish"], by_name["test.pinged process"]
    assert publish.context.trace_id == trace_id
    assert process.context.trace_id == trace_id
    assert process.parent.span_id == publish.context.span_id
    assert publish.kind == trace.SpanKind.PRODUCER and process.kind == trace.SpanKind.CONSUMER


async def test_a_batched_run_has_one_span_linked_to_each_emitting_trace(spans, world):
    alpha_db, beta_db, ns = world

    async def record_all(events, uow) -> None:
        for event in events:
            await record(event, uow)

    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: Batched(record_all)})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        with trace.get_tracer("test").start_as_current_span("POST /v1/things") as request_span:
            await emit(alpha_db, 1, 2, 3)
        await wait_for(lambda: _has(beta_db, 3))
        await wait_for(lambda: _finished(spans, "test.pinged process"))
    finally:
        await alpha.stop()
        await beta.stop()

    publishes = [s for s in spans.get_finished_spans() if s.name == "test.pinged publish"]
    runs = [s for s in spans.get_finished_spans() if s.name == "test.pinged process"]
    assert sum(r.attributes["messaging.batch.message_count"] for r in runs) == 3
    linked = {link.context.span_id for r in runs for link in r.links}
    assert linked == {p.context.span_id for p in publishes}
    assert all(link.context.trace_id == request_span.get_span_context().trace_id for r in runs for link in r.links)


async def _has(db, n) -> bool:
    return n in await counts(db)


async def _finished(exporter, name) -> bool:
    return any(s.name == name for s in exporter.get_finished_spans())
