"""Errors that carry their HTTP status and a stable code, rendered as RFC 9457 problems.

Services raise these; one set of handlers (installed by `install_problem_handlers`) turns them,
validation failures and anything unexpected into `application/problem+json`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.field = field
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    status, code, title = 400, "bad_request", "Bad Request"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class PaymentRequired(ProblemError):
    status, code, title = 402, "payment_required", "Payment Required"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "Not Found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload_too_large", "Content Too Large"


class Unprocessable(ProblemError):
    status, code, title = 422, "validation_error", "Unprocessable Content"


class TooManyRequests(ProblemError):
    status, code, title = 429, "rate_limited", "Too Many Requests"


class BadGateway(ProblemError):
    status, code, title = 502, "bad_gateway", "Bad Gateway"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service_unavailable", "Service Unavailable"

    def __init__(self, detail: str | None = None, *, retry_after_s: int | None = None, **kwargs: Any) -> None:
        """`retry_after_s`: when to try again (a `Retry-After` header), e.g. while a dependency
        such as Stripe is unreachable and the work asked for is finished in the background."""
        super().__init__(detail, **kwargs)
        self.retry_after_s = retry_after_s
        if retry_after_s is not None:
            self.headers["Retry-After"] = str(max(1, int(retry_after_s)))


class GatewayTimeout(ProblemError):
    status, code, title = 504, "gateway_timeout", "Gateway Timeout"


_STATUS_CODES = {cls.status: cls for cls in ProblemError.__subclasses__()}


def problem_response(error: ProblemError, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        error.body(instance), status_code=error.status, headers=error.headers, media_type=PROBLEM_JSON
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    # ("body", "amount") -> "amount"; ("query", "limit") -> "limit"; ("body",) -> "body"
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def validation_problem(exc: RequestValidationError) -> Unprocessable:
    errors = [
        # A body that is not JSON at all is located at the character where parsing stopped.
        {"field": "body" if err.get("type") == "json_invalid" else _field_of(tuple(err.get("loc", ()))),
         "message": err.get("msg", "invalid"), "type": err.get("type")}
        for err in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    problem = Unprocessable(f"Invalid request: check {fields}.")
    problem.extra["errors"] = errors
    return problem


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = _STATUS_CODES.get(exc.status_code)
        if cls is not None:
            error = cls(str(exc.detail) if exc.detail else None)
        else:
            error = ProblemError(str(exc.detail))
            error.status, error.title = exc.status_code, str(exc.detail)
            error.code = "method_not_allowed" if exc.status_code == 405 else "http_error"
        error.headers.update(exc.headers or {})
        return problem_response(error, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(ProblemError("An unexpected error occurred."), request)
