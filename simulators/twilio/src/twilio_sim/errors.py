"""Twilio's error catalogue (the subset the simulator raises) and its JSON error body."""

from __future__ import annotations

from starlette.responses import JSONResponse

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioApiError(Exception):
    """An error Twilio would answer with; rendered as Twilio's `{code, message, more_info, status}`."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def authenticate() -> TwilioApiError:
    # Twilio answers a missing or wrong credential with 20003 and a Basic challenge.
    return TwilioApiError(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def not_found(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


def too_many_requests() -> TwilioApiError:
    return TwilioApiError(429, 20429, "Too Many Requests")


def server_error(status: int) -> TwilioApiError:
    messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return TwilioApiError(status, 20000 + status, messages.get(status, "Internal Server Error"))


def invalid_parameter(code: int, message: str) -> TwilioApiError:
    return TwilioApiError(400, code, message)
