"""Stripe webhook intake: verify the signature on the raw body, store, answer 2xx fast.

Processing happens afterwards from the stored row (webhooks/processor.py), with retries, so a
slow or failing handler never makes Stripe redeliver, and nothing verified is ever lost.
"""

import json

import stripe
from fastapi import APIRouter, Request
from sqlalchemy.dialects.postgresql import insert

from settle_kit.errors import BadRequest
from settle_kit.service import UoW

from billing.webhooks.models import StripeEvent

router = APIRouter(tags=["webhooks"])

# Stripe's own default: a signature older than this is a replay.
TOLERANCE_S = 300


@router.post("/v1/webhooks/stripe", status_code=200)
async def receive_stripe_event(request: Request, uow: UoW) -> dict:
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    secret = request.app.state.settings.stripe_webhook_secret.get_secret_value()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_S)
    except stripe.SignatureVerificationError:
        raise BadRequest("The Stripe-Signature header is missing, wrong or too old.", code="invalid_signature") from None
    except ValueError:
        raise BadRequest("The body is not a Stripe event.", code="invalid_payload") from None
    await uow.session.execute(
        insert(StripeEvent)
        .values(id=event.id, type=event.type, payload=json.loads(payload))
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
    )
    await uow.commit()
    request.app.state.stripe_events.wake()
    return {"received": True}
