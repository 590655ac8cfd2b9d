"""Test-helper endpoints under /test_helpers: switches, inspection and inbound messages.

Not part of Twilio's API; they take JSON or form bodies and need no credentials.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from twilio_sim import magic_numbers
from twilio_sim.lifecycle import RANK
from twilio_sim.segments import count_segments
from twilio_sim.simulator import Simulator
from twilio_sim.store import (
    API_VERSION,
    HELP_KEYWORDS,
    START_KEYWORDS,
    STOP_KEYWORDS,
    Message,
)

SETTING_TYPES = {
    "step_delay": float,
    "auto_advance": bool,
    "duplicate_callbacks": bool,
    "reorder_callbacks": bool,
    "inbound_url": str,
    "account_sid": str,
}


class HelperError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _sim(request: Request) -> Simulator:
    return request.app.state.simulator


async def _payload(request: Request) -> dict:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict):
            raise HelperError(400, "expected a JSON object")
        return body
    return dict(await request.form())


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _int(payload: dict, name: str, default: int | None = None) -> int:
    value = payload.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HelperError(400, f"{name} must be an integer") from None


def _described(message: Message) -> dict:
    return {**message.resource(), "status_callback": message.status_callback, "history": list(message.history)}


async def list_sent(request: Request) -> JSONResponse:
    query = request.query_params
    keys = {"To": "to", "From": "from", "Status": "status", "Direction": "direction"}
    messages = sorted(_sim(request).store.messages.values(), key=lambda m: m.seq)
    described = [
        d for d in map(_described, messages) if all(d[field] == query[name] for name, field in keys.items() if name in query)
    ]
    return JSONResponse({"messages": described})


async def get_sent(request: Request) -> JSONResponse:
    message = _sim(request).store.messages.get(request.path_params["sid"])
    if message is None:
        raise HelperError(404, "no such message")
    return JSONResponse(_described(message))


async def set_status(request: Request) -> JSONResponse:
    """Moves one message forward by hand: for tests that turn auto_advance off."""
    sim = _sim(request)
    message = sim.store.messages.get(request.path_params["sid"])
    if message is None:
        raise HelperError(404, "no such message")
    payload = await _payload(request)
    status = payload.get("Status") or payload.get("status")
    if status not in RANK:
        raise HelperError(400, f"Status must be one of {sorted(RANK)}")
    code = payload.get("ErrorCode") or payload.get("error_code")
    code = int(code) if code else None
    moved = await sim.lifecycle.advance(
        message, status, code, magic_numbers.ERROR_MESSAGES.get(code) if code else None
    )
    if not moved:
        raise HelperError(409, f"cannot move from {message.status} to {status}: status only moves forward")
    return JSONResponse(_described(message))


async def list_webhooks(request: Request) -> JSONResponse:
    query = request.query_params
    attempts = [
        a.as_dict()
        for a in _sim(request).store.webhooks
        if query.get("kind", a.kind) == a.kind and query.get("MessageSid", a.message_sid) == a.message_sid
    ]
    return JSONResponse({"webhooks": attempts})


async def rate_limit(request: Request) -> JSONResponse:
    sim = _sim(request)
    sim.store.faults.rate_limited_sends = _int(await _payload(request), "count", 1)
    return JSONResponse(sim.store.faults.as_dict())


async def server_errors(request: Request) -> JSONResponse:
    sim = _sim(request)
    payload = await _payload(request)
    status = _int(payload, "status", 500)
    if not 500 <= status <= 599:
        raise HelperError(400, "status must be 5xx")
    faults = sim.store.faults
    faults.server_error_sends = _int(payload, "count", 1)
    faults.server_error_status = status
    faults.server_error_after_create = _bool(payload.get("after_create", False))
    return JSONResponse(faults.as_dict())


async def slow_answers(request: Request) -> JSONResponse:
    """The next `count` sends are created at once but answered only after `seconds`."""
    sim = _sim(request)
    payload = await _payload(request)
    faults = sim.store.faults
    faults.slow_answer_sends = _int(payload, "count", 1)
    try:
        faults.slow_answer_s = float(payload.get("seconds", 30))
    except (TypeError, ValueError):
        raise HelperError(400, "seconds must be a number") from None
    return JSONResponse(faults.as_dict())


async def set_outcome(request: Request) -> JSONResponse:
    """Gives any recipient a delivery outcome, beyond the fixed outcome numbers."""
    payload = await _payload(request)
    to = payload.get("To") or payload.get("to")
    status = payload.get("Status") or payload.get("status")
    if not to or status not in magic_numbers.FINAL_STATUSES:
        raise HelperError(400, f"To and Status (one of {sorted(magic_numbers.FINAL_STATUSES)}) are required")
    code = payload.get("ErrorCode") or payload.get("error_code")
    chosen = magic_numbers.outcome(status, int(code) if code else None)
    _sim(request).store.outcomes[to] = chosen
    return JSONResponse({"To": to, **chosen.__dict__})


async def settings(request: Request) -> JSONResponse:
    sim = _sim(request)
    if request.method == "POST":
        payload = await _payload(request)
        unknown = set(payload) - set(SETTING_TYPES)
        if unknown:
            raise HelperError(400, f"unknown settings: {sorted(unknown)}")
        for name, value in payload.items():
            kind = SETTING_TYPES[name]
            setattr(sim.settings, name, _bool(value) if kind is bool else (None if value is None else kind(value)))
        if not sim.settings.reorder_callbacks:
            await sim.lifecycle.flush_held()
    return JSONResponse(sim.settings.as_dict())


async def inbound(request: Request) -> JSONResponse:
    """Delivers an SMS from a phone to the platform, as Twilio's incoming-message webhook does."""
    sim = _sim(request)
    payload = await _payload(request)
    sender, to, body = payload.get("From"), payload.get("To"), payload.get("Body", "")
    if not sender or not to:
        raise HelperError(400, "From and To are required")
    url = payload.get("Url") or sim.settings.inbound_url
    if not url:
        raise HelperError(409, "no inbound URL: start with --inbound-url or pass Url")
    account_sid = payload.get("AccountSid") or sim.settings.account_sid
    service = payload.get("MessagingServiceSid")
    message = sim.store.add(
        Message(
            account_sid=account_sid,
            to=to,
            from_=sender,
            body=body,
            direction="inbound",
            status="received",
            num_segments=count_segments(body),
            messaging_service_sid=service,
        )
    )
    keyword = body.strip().upper()
    opt_out_type = None
    # Twilio records the opt-out before it tells the platform, so a send racing the webhook fails.
    if keyword in STOP_KEYWORDS:
        sim.store.opted_out.add(sender)
        opt_out_type = "STOP"
    elif keyword in START_KEYWORDS:
        sim.store.opted_out.discard(sender)
        opt_out_type = "START"
    elif keyword in HELP_KEYWORDS:
        opt_out_type = "HELP"
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": sender,
        "MessageSid": message.sid,
        "NumMedia": "0",
        "NumSegments": str(message.num_segments),
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "To": to,
    }
    if service:
        params["MessagingServiceSid"] = service
    if opt_out_type:
        params["OptOutType"] = opt_out_type
    attempt = await sim.sender.post("inbound", url, params, message.sid)
    return JSONResponse({"message": message.resource(), "webhook": attempt.as_dict()})


async def opt_outs(request: Request) -> JSONResponse:
    return JSONResponse({"opted_out": sorted(_sim(request).store.opted_out)})


async def reset(request: Request) -> JSONResponse:
    await _sim(request).reset()
    return JSONResponse({"reset": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


routes = [
    Route("/healthz", health, methods=["GET"]),
    Route("/test_helpers/messages", list_sent, methods=["GET"]),
    Route("/test_helpers/messages/{sid}", get_sent, methods=["GET"]),
    Route("/test_helpers/messages/{sid}/status", set_status, methods=["POST"]),
    Route("/test_helpers/webhooks", list_webhooks, methods=["GET"]),
    Route("/test_helpers/rate_limit", rate_limit, methods=["POST"]),
    Route("/test_helpers/server_errors", server_errors, methods=["POST"]),
    Route("/test_helpers/slow_answers", slow_answers, methods=["POST"]),
    Route("/test_helpers/outcomes", set_outcome, methods=["POST"]),
    Route("/test_helpers/settings", settings, methods=["GET", "POST"]),
    Route("/test_helpers/inbound", inbound, methods=["POST"]),
    Route("/test_helpers/opt_outs", opt_outs, methods=["GET"]),
    Route("/test_helpers/reset", reset, methods=["POST"]),
]
