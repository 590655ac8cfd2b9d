"""OpenTelemetry tracing: one provider per process, exporter chosen by `OTEL_TRACES_EXPORTER`.

Incoming HTTP (FastAPI), outgoing HTTP (httpx) and database (SQLAlchemy) spans come from the
instrumentation packages; publish and consume spans are made by the bus, which carries
`traceparent` in message headers so a trace continues across services.

The instrumentation is installed only when spans go somewhere (`OTEL_TRACES_EXPORTER` is not
`none`): recording spans nobody exports cost a fifth of a service's CPU per request.
"""

from __future__ import annotations

from typing import Literal

from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

Exporter = Literal["none", "console", "otlp"]
_configured = False


def configure_tracing(service: str, exporter: Exporter) -> None:
    """Installs the process-wide provider once; later calls (several apps in one test) keep it."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    span_exporter = _exporter(exporter)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
        HTTPXClientInstrumentor().instrument()
    trace.set_tracer_provider(provider)
    _configured = True


def exported(exporter: Exporter) -> bool:
    return exporter != "none"


def _exporter(kind: str) -> SpanExporter | None:
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        # Endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def instrument_app(app, exporter: Exporter) -> None:
    if exported(exporter):
        # One span per request; the per-chunk `send`/`receive` spans cost more CPU than they explain.
        FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"])


def instrument_engine(engine, exporter: Exporter) -> None:
    if exported(exporter):
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)


UNTRACED_URLS = "healthz,readyz"
# FastAPI's own telemetry is off: it would trace every request (and each dependency) whenever a
# tracer provider exists, exported or not; spans come from `instrument_app` alone.
FASTAPI_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def tracer(name: str = "settle") -> trace.Tracer:
    return trace.get_tracer(name)
