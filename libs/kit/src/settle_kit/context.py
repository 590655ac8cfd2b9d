"""Per-request / per-message context that logs and emitted events pick up.

The HTTP middleware sets the request id (which also becomes the correlation id of events the
request emits); the bus consumer sets the correlation and causation ids of the message it handles.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
