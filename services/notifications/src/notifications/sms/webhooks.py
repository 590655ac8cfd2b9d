"""Twilio's webhooks, through the gateway at the same paths: delivery status and inbound texts.

Both are signed (`X-Twilio-Signature`), checked with the SDK's `RequestValidator` against the URL
Twilio called, which is our public address (`NOTIFICATIONS_PUBLIC_URL`) plus the path and query:
a missing or wrong signature is 403 and changes nothing.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from settle_contracts.notifications import SmsReceived
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import Forbidden
from settle_kit.openapi import problems, raw_body
from settle_kit.service import UoW

from notifications.contacts.repository import ContactRepository
from notifications.sms import outcomes
from notifications.sms.models import InboundSms, Sms
from notifications.sms.repository import SmsRepository
from notifications.sms.status import FROM_TWILIO

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/webhooks/twilio", tags=["webhooks"])

# Twilio's own opt-out and opt-in keywords (the whole text, any case).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
_FORM = raw_body("application/x-www-form-urlencoded", signature_header="X-Twilio-Signature",
                 description="Twilio's form parameters, exactly as Twilio sent them")


async def signed_params(request: Request) -> dict[str, str]:
    params = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
    settings = request.app.state.settings
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(settings.twilio_auth_token.get_secret_value()).validate(url, params, signature):
        raise Forbidden("The X-Twilio-Signature header is missing or wrong.", code="invalid_signature")
    return params


def twiml(response: MessagingResponse | None = None) -> Response:
    return Response(str(response or MessagingResponse()), media_type="application/xml")


@router.post("/status", status_code=204, responses=problems(403), openapi_extra=_FORM)
async def status_callback(request: Request, uow: UoW) -> Response:
    """A message's new status: applied only if it moves the SMS forward."""
    params = await signed_params(request)
    new = FROM_TWILIO.get(params.get("MessageStatus", ""))
    sms_id, twilio_sid = request.query_params.get("sms_id"), params.get("MessageSid")
    if new is not None:
        await _apply_status(uow, request.app.state.clock.now(), sms_id, twilio_sid, new, params.get("ErrorCode"))
    return Response(status_code=204)


async def _apply_status(uow: UnitOfWork, now, sms_id: str | None, twilio_sid: str | None, new: str, error_code: str | None) -> None:
    repository = SmsRepository(uow.session)
    sms = await repository.locked(sms_id) if sms_id else None
    if sms is None:
        log.warning("status callback for an SMS we do not know", extra={"sms_id": sms_id, "twilio_sid": twilio_sid})
        return
    if twilio_sid and sms.twilio_sid and sms.twilio_sid != twilio_sid:
        # A second Twilio message for one SMS: an attempt whose answer was lost went out after all.
        log.warning("status callback from a second Twilio message of one SMS", extra={"sms_id": sms.id, "twilio_sid": twilio_sid})
    outcomes.move(uow, sms, new, now, twilio_sid=twilio_sid, error_code=error_code, error_message=None)
    await uow.commit()


@router.post("/inbound", response_class=Response, openapi_extra=_FORM, responses={
    **problems(403), 200: {"content": {"application/xml": {}}, "description": "TwiML: the help text for HELP, else empty"}})
async def inbound(request: Request, uow: UoW) -> Response:
    """A text to our number: STOP words opt the number out, START words back in, HELP answers
    the help text; anything else is a reply to the latest SMS we sent that number."""
    params = await signed_params(request)
    sid, sender, body = params.get("MessageSid", ""), params.get("From", ""), params.get("Body", "")
    word = body.strip().upper()
    keyword = "stop" if word in STOP_WORDS else "start" if word in START_WORDS else "help" if word in HELP_WORDS else None
    help_reply = None
    if keyword == "help":
        help_reply = MessagingResponse()
        help_reply.message(request.app.state.settings.help_text)
    if not sid or await uow.session.get(InboundSms, sid) is not None:
        return twiml(help_reply)  # Twilio posted it again: done once already
    now = request.app.state.clock.now()
    contacts = ContactRepository(uow.session)
    answered: Sms | None = None
    if keyword == "stop":
        await contacts.opt_out(sender, "keyword", now)
    elif keyword == "start":
        await contacts.opt_in(sender)
    elif keyword is None:
        answered = await SmsRepository(uow.session).latest_sent_to(sender)
        uow.emit(SmsReceived(
            reply_id=sid, from_phone=sender, body=body, received_at=now, in_reply_to=answered.id if answered else None,
            requested_by=answered.requested_by if answered else None,
            reference_type=answered.reference_type if answered else None, reference_id=answered.reference_id if answered else None,
        ))
    uow.session.add(InboundSms(id=sid, from_phone=sender, body=body, keyword=keyword,
                               in_reply_to=answered.id if answered else None, received_at=now))
    await uow.commit()
    return twiml(help_reply)
