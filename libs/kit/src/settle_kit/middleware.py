"""Request ids and the access log, for the gateway and every service.

The request id is taken from `X-Request-Id` when the caller (the gateway) sent a safe one, else
made here, and returned in the answer. Every request is logged once, when it ends, as one line
(logger `settle.access`): method, path, status, duration_ms, request_id and user (the verified
token's subject, or null). Uvicorn's own access log is off (`settle_kit.serve`), so nothing is
logged twice. The line is skipped altogether when INFO is not logged (benchmarks run at WARNING).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settle_kit import context
from settle_kit.auth import verify_token
from settle_kit.errors import ProblemError

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = REQUEST_ID_HEADER.encode()
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("settle.access")


class RequestIdMiddleware:
    """`jwt_secret` names the user in the access log; without it, the app's settings' secret is
    used (a service's FastAPI app)."""

    def __init__(self, app: ASGIApp, jwt_secret: str | None = None) -> None:
        self.app = app
        self.jwt_secret = jwt_secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = next((v for k, v in scope["headers"] if k == _REQUEST_ID), b"").decode("latin-1")
        request_id = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        token = context.request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        trace.get_current_span().set_attribute("http.request_id", request_id)
        status = 499  # the caller left before an answer began (nginx's convention)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = 500 if status == 499 else status
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("request", extra={
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2), "user": self._user(scope),
                })
            structlog.contextvars.unbind_contextvars("request_id")
            context.request_id.reset(token)

    def _user(self, scope: Scope) -> str | None:
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        secret = self.jwt_secret
        if secret is None:
            settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
            if settings is None:
                return None
            secret = settings.jwt_secret.get_secret_value()
        try:
            return verify_token(secret, token).user_id  # verified once per token and cached (auth.py)
        except ProblemError:
            return None
