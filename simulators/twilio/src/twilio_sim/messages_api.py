"""Twilio's 2010-04-01 Messages resource: create, fetch, list."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode, urlparse

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from twilio_sim import magic_numbers
from twilio_sim.auth import require_account
from twilio_sim.errors import invalid_parameter, not_found, server_error, too_many_requests
from twilio_sim.segments import count_segments
from twilio_sim.simulator import Simulator
from twilio_sim.store import API_VERSION, Message

MAX_BODY = 1600
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _sim(request: Request) -> Simulator:
    return request.app.state.simulator


def _messages_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def _take_fault(sim: Simulator) -> tuple[Exception | None, bool]:
    """The fault this send must answer with, and whether the message is still created behind it."""
    faults = sim.store.faults
    if faults.rate_limited_sends > 0:
        faults.rate_limited_sends -= 1
        return too_many_requests(), False
    if faults.server_error_sends > 0:
        faults.server_error_sends -= 1
        return server_error(faults.server_error_status), faults.server_error_after_create
    return None, False


def _validate(form, sim: Simulator) -> dict:
    to = (form.get("To") or "").strip()
    sender = (form.get("From") or "").strip() or None
    service = (form.get("MessagingServiceSid") or "").strip() or None
    body = form.get("Body") or ""
    callback = (form.get("StatusCallback") or "").strip() or None
    media = form.getlist("MediaUrl")

    if not to:
        raise invalid_parameter(21604, "A 'To' phone number is required.")
    if not sender and not service:
        raise invalid_parameter(21603, "A 'From' phone number is required.")
    if not body and not media:
        raise invalid_parameter(21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise invalid_parameter(21617, "The concatenated message body exceeds the 1600 character limit.")
    if service and not MESSAGING_SERVICE_SID.match(service):
        raise invalid_parameter(21701, f"The Messaging Service Sid {service} is invalid.")
    if sender:
        magic_numbers.check_sender(sender)
    magic_numbers.check_recipient(to, sender)
    if to in sim.store.opted_out:
        raise invalid_parameter(21610, "Attempt to send to unsubscribed recipient")
    if callback:
        parsed = urlparse(callback)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise invalid_parameter(21609, f"The StatusCallback URL {callback} is not a valid URL.")
    return {"to": to, "sender": sender, "service": service, "body": body, "callback": callback}


async def create_message(request: Request) -> JSONResponse:
    account_sid = request.path_params["account_sid"]
    require_account(request, account_sid)
    sim = _sim(request)
    fault, create_anyway = _take_fault(sim)
    if fault and not create_anyway:
        raise fault
    fields = _validate(await request.form(), sim)
    message = sim.store.add(
        Message(
            account_sid=account_sid,
            to=fields["to"],
            from_=fields["sender"],
            body=fields["body"],
            direction="outbound-api",
            # Twilio accepts a Messaging Service send before it has picked a sender.
            status="accepted" if fields["service"] else "queued",
            num_segments=count_segments(fields["body"]),
            messaging_service_sid=fields["service"],
            status_callback=fields["callback"],
            outcome=sim.store.outcomes.get(fields["to"]) or magic_numbers.OUTCOME_NUMBERS.get(fields["to"])
            or magic_numbers.DELIVERED,
        )
    )
    sim.lifecycle.start(message)
    if fault:
        raise fault
    if sim.store.faults.slow_answer_sends > 0:
        sim.store.faults.slow_answer_sends -= 1
        await asyncio.sleep(sim.store.faults.slow_answer_s)
    return JSONResponse(message.resource(), status_code=201)


async def fetch_message(request: Request) -> JSONResponse:
    account_sid = request.path_params["account_sid"]
    require_account(request, account_sid)
    message = _sim(request).store.messages.get(request.path_params["sid"])
    if message is None or message.account_sid != account_sid:
        raise not_found(request.url.path)
    return JSONResponse(message.resource())


def _parse_moment(value: str) -> tuple[datetime, bool]:
    """A DateSent filter value, and whether it names a whole day rather than a second.

    Twilio takes YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ; the SDK always sends the latter, so a time of
    exactly midnight is read as the whole day, which is what a caller passing a date means.
    """
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, timezone.utc), True
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_parameter(20001, f"Invalid date: {value}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment, moment.time() == time.min


def _date_sent_test(name: str, value: str):
    moment, whole_day = _parse_moment(value)
    day_end = moment + timedelta(days=1)

    def test(message: Message) -> bool:
        sent = message.date_sent
        if sent is None:
            return False
        if name == "DateSent":
            return moment <= sent < day_end if whole_day else sent == moment
        if name == "DateSent<":
            return sent < day_end if whole_day else sent <= moment
        return sent >= moment

    return test


def _filters(request: Request) -> tuple[list[tuple[str, str]], list]:
    query = request.query_params
    kept: list[tuple[str, str]] = []
    tests = []
    for name in ("To", "From"):
        if value := query.get(name):
            kept.append((name, value))
            tests.append(lambda m, key=name, value=value: (m.to if key == "To" else m.from_) == value)
    for name in ("DateSent", "DateSent<", "DateSent>"):
        if value := query.get(name):
            kept.append((name, value))
            tests.append(_date_sent_test(name, value))
    return kept, tests


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(20001, f"Invalid {name}: {raw}") from None


async def list_messages(request: Request) -> JSONResponse:
    account_sid = request.path_params["account_sid"]
    require_account(request, account_sid)
    kept, tests = _filters(request)
    page_size = min(max(_int_param(request, "PageSize", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    page = max(_int_param(request, "Page", 0), 0)
    token = request.query_params.get("PageToken") or ""

    items = [
        m for m in _sim(request).store.newest_first() if m.account_sid == account_sid and all(t(m) for t in tests)
    ]
    sids = [m.sid for m in items]
    # Page tokens name the record a page starts after (PA) or ends before (PB), so a page does not
    # shift when new messages arrive while a client pages through the list.
    if token.startswith("PA") and token[2:] in sids:
        start = sids.index(token[2:]) + 1
    elif token.startswith("PB") and token[2:] in sids:
        start = max(sids.index(token[2:]) - page_size, 0)
    else:
        start = page * page_size
    chunk = items[start : start + page_size]

    path = _messages_path(account_sid)

    def link(page_number: int, page_token: str | None = None) -> str:
        params = [*kept, ("PageSize", str(page_size)), ("Page", str(page_number))]
        if page_token:
            params.append(("PageToken", page_token))
        return f"{path}?{urlencode(params)}"

    next_uri = link(page + 1, "PA" + chunk[-1].sid) if chunk and start + page_size < len(items) else None
    previous_uri = link(page - 1, "PB" + chunk[0].sid) if page > 0 and chunk else None
    return JSONResponse(
        {
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": link(0),
            "messages": [m.resource() for m in chunk],
            "next_page_uri": next_uri,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": previous_uri,
            "start": start,
            "uri": link(page, token or None),
        }
    )


routes = [
    Route(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json", create_message, methods=["POST"]),
    Route(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json", list_messages, methods=["GET"]),
    Route(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages/{{sid}}.json", fetch_message, methods=["GET"]),
]
