"""Stripe webhook intake: verify the signature on the raw body, store, answer 2xx fast.

Processing happens afterwards from the stored row (webhooks/processor.py), with retries, so a
slow or failing handler never makes Stripe redeliver, and nothing verified is ever lost.
"""

import json

import stripe
from fastapi import APIRouter, Request

from settle_kit.db import Statement
from settle_kit.errors import BadRequest
from settle_kit.models import utcnow
from settle_kit.openapi import problems, raw_body
from settle_kit.service import Db

router = APIRouter(tags=["webhooks"])

# Stripe's own default: a signature older than this is a replay.
TOLERANCE_S = 300
# Stored once per Stripe event id, in one statement committed as it runs.
_STORE = Statement(
    "INSERT INTO stripe_events (id, type, payload, received_at, next_attempt_at, attempts) "
    "VALUES (:id, :type, CAST(:payload AS JSONB), :now, :now, 0) ON CONFLICT (id) DO NOTHING"
)


@router.post("/v1/webhooks/stripe", status_code=200, responses=problems(400), openapi_extra=raw_body(
    "application/json", signature_header="Stripe-Signature", description="A Stripe event, exactly as Stripe sent it"))
async def receive_stripe_event(request: Request, db: Db) -> dict:
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    secret = request.app.state.settings.stripe_webhook_secret.get_secret_value()
    try:
        # Verify the raw bytes only; building Stripe objects from the body is left to processing.
        stripe.WebhookSignature.verify_header(payload.decode(), signature, secret, tolerance=TOLERANCE_S)
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise BadRequest("The Stripe-Signature header is missing, wrong or too old.", code="invalid_signature") from None
    try:
        event = json.loads(payload)
        event_id, event_type = event["id"], event["type"]
    except (ValueError, TypeError, KeyError):
        raise BadRequest("The body is not a Stripe event.", code="invalid_payload") from None
    if not (isinstance(event_id, str) and isinstance(event_type, str)):
        raise BadRequest("The body is not a Stripe event.", code="invalid_payload")
    async with db.autocommit() as conn:
        await _STORE.execute(conn, id=event_id, type=event_type, payload=payload.decode(), now=utcnow())
    request.app.state.stripe_events.wake()
    return {"received": True}
