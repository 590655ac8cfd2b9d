"""Structured logs (structlog over stdlib logging) carrying trace, request and correlation ids."""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace

from settle_kit import context


def _add_ids(_logger: object, _name: str, event: dict) -> dict:
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event["trace_id"] = format(span.trace_id, "032x")
        event["span_id"] = format(span.span_id, "016x")
    for key, var in (("request_id", context.request_id), ("correlation_id", context.correlation_id)):
        value = var.get()
        if value:
            event.setdefault(key, value)
    return event


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_ids,
        lambda _l, _n, e: {**e, "service": service},
    ]
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # ExtraAdder: `extra={...}` given to stdlib loggers becomes fields of the line.
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Requests are logged once, by the kit's middleware (settle.access); uvicorn's access log would
    # repeat each without the user or request id (serve.py also turns it off).
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
