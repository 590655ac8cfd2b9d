"""A webhook that never arrives costs minutes, not money: reconciliation settles the payment."""

from __future__ import annotations

import pytest
import stripe

from settle_testing.platform import start_platform

from test_payments import conversation_between, create_payment, wait_status


@pytest.fixture(scope="module")
def deaf_platform():
    """Stripe cannot reach this platform: no webhook endpoint is registered in the simulator."""
    running = start_platform({"BILLING_RECONCILE_AFTER_S": "1", "BILLING_RECONCILE_INTERVAL_S": "0.5"}, stripe_webhooks=False)
    yield running
    running.stop()


def test_a_payment_whose_webhook_never_came_is_settled_by_reconciliation(deaf_platform):
    project, conversation = conversation_between(deaf_platform, "ann", "ben", "Lost webhook")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 4200, "currency": "usd"}
    payment = create_payment(deaf_platform, "ann", body).json()
    client = stripe.StripeClient(deaf_platform.env["STRIPE_API_KEY"], base_addresses={"api": deaf_platform.stripe_url})
    client.v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    assert wait_status(deaf_platform, "ben", payment["id"], "succeeded") == "succeeded"
