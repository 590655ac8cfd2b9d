"""Milestone payments in a conversation, through the gateway, with the Stripe simulator
answering the official SDK and delivering signed webhooks back to the platform."""

from __future__ import annotations

import time
import uuid

import httpx
import stripe

from support import PROBLEM, eventually


def stripe_client(platform) -> stripe.StripeClient:
    return stripe.StripeClient(platform.env["STRIPE_API_KEY"], base_addresses={"api": platform.stripe_url})


def conversation_between(platform, payer: str, payee: str, title: str) -> tuple[dict, dict]:
    gw, headers = platform.gateway_url, platform.headers(payer)
    project = httpx.post(gw + "/v1/projects", json={"title": title}, headers=headers).json()
    httpx.post(gw + f"/v1/projects/{project['id']}/members", json={"user_id": payee}, headers=headers).raise_for_status()
    conversation = httpx.post(
        gw + "/v1/conversations", json={"participant_ids": [payee], "project_id": project["id"]}, headers=headers
    ).json()
    return project, conversation


def create_payment(platform, payer: str, body: dict, key: str | None = None) -> httpx.Response:
    """Billing learns of memberships from messaging's events, a moment later: retry while 404."""
    key = key or str(uuid.uuid4())
    headers = {**platform.headers(payer), "Idempotency-Key": key}

    def attempt():
        response = httpx.post(platform.gateway_url + "/v1/payments", json=body, headers=headers)
        return None if response.status_code == 404 else response

    return eventually(attempt) or httpx.post(platform.gateway_url + "/v1/payments", json=body, headers=headers)


def receipts(platform, user: str, conversation_id: str) -> list[str]:
    page = httpx.get(
        platform.gateway_url + f"/v1/conversations/{conversation_id}/messages", params={"limit": 100}, headers=platform.headers(user)
    ).json()
    return [m["body"] for m in reversed(page["data"]) if m["kind"] == "system"]


def wait_receipts(platform, user: str, conversation_id: str, count: int) -> list[str]:
    eventually(lambda: len(receipts(platform, user, conversation_id)) >= count)
    return receipts(platform, user, conversation_id)


def payment_status(platform, user: str, payment_id: str) -> str:
    return httpx.get(platform.gateway_url + f"/v1/payments/{payment_id}", headers=platform.headers(user)).json()["status"]


def wait_status(platform, user: str, payment_id: str, expected: str) -> str:
    return eventually(lambda: payment_status(platform, user, payment_id) == expected and expected) or payment_status(
        platform, user, payment_id
    )


def test_a_pays_b_in_their_conversation_and_both_see_it_succeed(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Logo design")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    created = create_payment(platform, "ann", body)
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "requires_payment"
    assert payment["client_secret"] and payment["stripe_payment_intent_id"]
    assert (payment["amount"], payment["currency"], payment["purpose"]) == (3000, "usd", "milestone")

    stripe_client(platform).v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})

    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"
    seen_by_ben = httpx.get(platform.gateway_url + f"/v1/payments/{payment['id']}", headers=platform.headers("ben")).json()
    assert seen_by_ben["status"] == "succeeded" and seen_by_ben["succeeded_at"]
    listed = httpx.get(platform.gateway_url + "/v1/payments", params={"conversation_id": conversation["id"]}, headers=platform.headers("ben")).json()
    assert [p["id"] for p in listed["data"]] == [payment["id"]]
    success = ["✅ Payment of $30.00 for Logo design succeeded."]
    assert wait_receipts(platform, "ann", conversation["id"], 1) == success
    assert receipts(platform, "ben", conversation["id"]) == success

    # Ann hides the chat: gone from her list, still in Ben's, her payment still hers to read.
    gw = platform.gateway_url
    assert httpx.post(gw + f"/v1/conversations/{conversation['id']}/hide", headers=platform.headers("ann")).status_code == 204
    ann_list = [c["id"] for c in httpx.get(gw + "/v1/conversations", params={"limit": 100}, headers=platform.headers("ann")).json()["data"]]
    ben_list = [c["id"] for c in httpx.get(gw + "/v1/conversations", params={"limit": 100}, headers=platform.headers("ben")).json()["data"]]
    assert conversation["id"] not in ann_list and conversation["id"] in ben_list
    assert httpx.get(gw + f"/v1/payments/{payment['id']}", headers=platform.headers("ann")).json()["status"] == "succeeded"
    httpx.post(gw + f"/v1/conversations/{conversation['id']}/messages", json={"body": "Thanks!"}, headers=platform.headers("ben"))
    ann_list = [c["id"] for c in httpx.get(gw + "/v1/conversations", params={"limit": 100}, headers=platform.headers("ann")).json()["data"]]
    assert conversation["id"] in ann_list


def test_a_declined_card_fails_the_payment(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Declined")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 1500, "currency": "eur"}
    payment = create_payment(platform, "ann", body).json()
    try:
        stripe_client(platform).v1.payment_intents.confirm(
            payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_chargeDeclined"}
        )
    except stripe.CardError:
        pass  # Stripe answers the confirmation with a card error and fails the attempt
    assert wait_status(platform, "ann", payment["id"], "failed") == "failed"
    assert wait_receipts(platform, "ben", conversation["id"], 1) == ["❌ Payment of €15.00 for Declined failed."]


def test_refunds_partial_then_full_and_never_above_what_is_left(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Refunds")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    stripe_client(platform).v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"
    refunds = platform.gateway_url + f"/v1/payments/{payment['id']}/refunds"

    payer_try = httpx.post(refunds, json={"amount": 100}, headers=platform.headers("ann"))
    assert payer_try.status_code == 403

    key = str(uuid.uuid4())
    partial = httpx.post(refunds, json={"amount": 1000}, headers={**platform.headers("ben"), "Idempotency-Key": key})
    assert partial.status_code == 201, partial.text
    assert partial.json()["amount"] == 1000
    replay = httpx.post(refunds, json={"amount": 1000}, headers={**platform.headers("ben"), "Idempotency-Key": key})
    assert replay.status_code == 201 and replay.json() == partial.json()
    reused = httpx.post(refunds, json={"amount": 900}, headers={**platform.headers("ben"), "Idempotency-Key": key})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert payment_status(platform, "ann", payment["id"]) == "partially_refunded"

    too_much = httpx.post(refunds, json={"amount": 2001}, headers=platform.headers("ben"))
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "refund_exceeds_remaining" and too_much.json()["errors"][0]["field"] == "amount"

    rest = httpx.post(refunds, json={}, headers=platform.headers("ben"))
    assert rest.status_code == 201 and rest.json()["amount"] == 2000
    final = httpx.get(platform.gateway_url + f"/v1/payments/{payment['id']}", headers=platform.headers("ann")).json()
    assert (final["status"], final["amount_refunded"]) == ("refunded", 3000)
    intent = stripe_client(platform).v1.payment_intents.retrieve(payment["stripe_payment_intent_id"], params={"expand": ["latest_charge"]})
    assert intent.latest_charge.amount_refunded == 3000 and intent.latest_charge.refunded
    assert wait_receipts(platform, "ann", conversation["id"], 3) == [
        "✅ Payment of $30.00 for Refunds succeeded.",
        "↩️ $10.00 of the payment of $30.00 for Refunds was refunded.",
        "↩️ $20.00 of the payment of $30.00 for Refunds was refunded; it is now fully refunded.",
    ]


def test_a_stranger_sees_nothing_and_cannot_pay_into_the_conversation(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Private")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    gw, carol = platform.gateway_url, platform.headers("carol")
    assert httpx.get(gw + f"/v1/payments/{payment['id']}", headers=carol).status_code == 404
    assert httpx.get(gw + "/v1/payments", headers=carol).json() == {"data": [], "has_more": False}
    intruder = httpx.post(gw + "/v1/payments", json={**body, "payee_id": "ann"}, headers=carol)
    assert intruder.status_code in (403, 404)


def test_bad_payments_are_refused_with_problems_naming_the_field(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Validation")
    base = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    create_payment(platform, "ann", base)  # wait until billing knows the conversation
    gw, ann = platform.gateway_url, platform.headers("ann")
    for change, field in [
        ({"amount": 30.5}, "amount"), ({"amount": "3000"}, "amount"), ({"amount": -1}, "amount"), ({"amount": 0}, "amount"),
        ({"amount": 100_000_000}, "amount"), ({"currency": "xyz"}, "currency"), ({"currency": "USD"}, "currency"),
        ({"payee_id": "ann"}, "payee_id"),
    ]:
        response = httpx.post(gw + "/v1/payments", json={**base, **change}, headers=ann)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in response.json()["errors"]], (change, response.json())
    malformed = httpx.post(gw + "/v1/payments", content=b"{not json", headers={**ann, "content-type": "application/json"})
    assert malformed.status_code == 422 and malformed.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in malformed.json()["errors"]] == ["body"]
    unknown_status = httpx.get(gw + "/v1/payments", params={"status": "paid"}, headers=ann)
    assert unknown_status.status_code == 422, unknown_status.text
    assert [e["field"] for e in unknown_status.json()["errors"]] == ["status"]
    assert httpx.get(gw + "/v1/payments", params={"status": "requires_payment"}, headers=ann).json()["data"]


def test_an_idempotency_key_replays_the_payment_and_refuses_another_body(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Idempotency")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    key = str(uuid.uuid4())
    first = create_payment(platform, "ann", body, key=key)
    again = httpx.post(platform.gateway_url + "/v1/payments", json=body, headers={**platform.headers("ann"), "Idempotency-Key": key})
    assert again.status_code == 201 and again.json() == first.json()
    other = httpx.post(
        platform.gateway_url + "/v1/payments", json={**body, "amount": 3001}, headers={**platform.headers("ann"), "Idempotency-Key": key}
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    mine = httpx.get(platform.gateway_url + "/v1/payments", params={"conversation_id": conversation["id"]}, headers=platform.headers("ann"))
    assert len(mine.json()["data"]) == 1


def test_a_bad_or_stale_stripe_signature_is_refused_and_changes_nothing(platform):
    url = platform.gateway_url + "/v1/webhooks/stripe"
    payload = b'{"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x"}}}'
    assert httpx.post(url, content=payload).status_code == 400
    bad = httpx.post(url, content=payload, headers={"Stripe-Signature": "t=1,v1=deadbeef"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_signature"
    stale_time = int(time.time()) - 3600
    signed_stale = stripe.WebhookSignature._compute_signature(f"{stale_time}.{payload.decode()}", platform.env["STRIPE_WEBHOOK_SECRET"])
    stale = httpx.post(url, content=payload, headers={"Stripe-Signature": f"t={stale_time},v1={signed_stale}"})
    assert stale.status_code == 400


def signed_post(platform, event: dict) -> httpx.Response:
    import hashlib
    import hmac
    import json

    payload = json.dumps(event)
    timestamp = int(time.time())
    secret = platform.env["STRIPE_WEBHOOK_SECRET"].encode()
    signature = hmac.new(secret, f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return httpx.post(
        platform.gateway_url + "/v1/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": f"t={timestamp},v1={signature}", "content-type": "application/json"},
    )


def test_a_repeated_succeeded_event_and_a_late_processing_event_leave_one_success(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Repeats")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    client = stripe_client(platform)
    client.v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"

    succeeded = next(
        e for e in client.v1.events.list(params={"type": "payment_intent.succeeded", "limit": 100}).data
        if e.data.object.id == payment["stripe_payment_intent_id"]
    ).to_dict()
    for _ in range(3):
        assert signed_post(platform, succeeded).status_code == 200
    late = {**succeeded, "id": f"evt_late_{uuid.uuid4().hex[:12]}", "type": "payment_intent.processing",
            "data": {"object": {**succeeded["data"]["object"], "status": "processing"}}}
    assert signed_post(platform, late).status_code == 200

    time.sleep(1)  # let billing process what it stored; nothing may move back or repeat meanwhile
    final = httpx.get(platform.gateway_url + f"/v1/payments/{payment['id']}", headers=platform.headers("ann")).json()
    assert final["status"] == "succeeded"
    assert receipts(platform, "ann", conversation["id"]) == ["✅ Payment of $30.00 for Repeats succeeded."]


def paid_payment(platform, payer: str, payee: str, title: str, amount: int = 3000) -> dict:
    project, conversation = conversation_between(platform, payer, payee, title)
    body = {"payee_id": payee, "project_id": project["id"], "conversation_id": conversation["id"], "amount": amount, "currency": "usd"}
    payment = create_payment(platform, payer, body).json()
    stripe_client(platform).v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
    assert wait_status(platform, payer, payment["id"], "succeeded") == "succeeded"
    return payment


def test_only_the_payer_sees_the_client_secret(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Secrets")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 1200, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    gw = platform.gateway_url

    def secret_seen_by(user: str, role: str = "user") -> str | None:
        return httpx.get(gw + f"/v1/payments/{payment['id']}", headers=platform.headers(user, role)).json()["client_secret"]

    assert payment["client_secret"] and secret_seen_by("ann") == payment["client_secret"]
    assert secret_seen_by("ben") is None and secret_seen_by("ops", "admin") is None
    listed = httpx.get(gw + "/v1/payments", params={"conversation_id": conversation["id"]}, headers=platform.headers("ben")).json()["data"]
    assert [(p["id"], p["client_secret"]) for p in listed] == [(payment["id"], None)]


def test_the_payer_or_payee_cancels_an_unpaid_payment_but_not_a_paid_one(platform):
    project, conversation = conversation_between(platform, "ann", "ben", "Cancel")
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 1500, "currency": "usd"}
    payment = create_payment(platform, "ann", body).json()
    cancel = platform.gateway_url + f"/v1/payments/{payment['id']}/cancel"

    assert httpx.post(cancel, headers=platform.headers("cara")).status_code == 404
    canceled = httpx.post(cancel, headers=platform.headers("ben"))
    assert canceled.status_code == 200, canceled.text
    assert (canceled.json()["status"], canceled.json()["client_secret"]) == ("canceled", None)
    assert stripe_client(platform).v1.payment_intents.retrieve(payment["stripe_payment_intent_id"]).status == "canceled"
    assert httpx.post(cancel, headers=platform.headers("ann")).json()["status"] == "canceled"  # twice is harmless
    assert payment_status(platform, "ann", payment["id"]) == "canceled"

    paid = paid_payment(platform, "ann", "ben", "Cancel paid")
    refused = httpx.post(platform.gateway_url + f"/v1/payments/{paid['id']}/cancel", headers=platform.headers("ann"))
    assert refused.status_code == 409 and refused.json()["code"] == "payment_not_cancelable"
    assert payment_status(platform, "ann", paid["id"]) == "succeeded"


def test_a_refund_without_a_body_refunds_the_rest_and_the_refunds_are_listed(platform):
    paid = paid_payment(platform, "ann", "ben", "Refund list")
    refunds = platform.gateway_url + f"/v1/payments/{paid['id']}/refunds"
    first = httpx.post(refunds, json={"amount": 1000}, headers=platform.headers("ben"))
    assert first.status_code == 201, first.text
    rest = httpx.post(refunds, headers={**platform.headers("ben"), "Idempotency-Key": str(uuid.uuid4())})  # no body at all
    assert rest.status_code == 201, rest.text
    assert (rest.json()["amount"], rest.json()["status"]) == (2000, "succeeded")
    assert wait_status(platform, "ann", paid["id"], "refunded") == "refunded"

    for viewer, role in (("ann", "user"), ("ben", "user"), ("ops", "admin")):
        listed = httpx.get(refunds, headers=platform.headers(viewer, role))
        assert listed.status_code == 200, listed.text
        assert [(r["id"], r["amount"]) for r in listed.json()["data"]] == [(rest.json()["id"], 2000), (first.json()["id"], 1000)]
    assert httpx.get(refunds, headers=platform.headers("cara")).status_code == 404


def test_admins_list_every_users_payments_and_users_only_their_own(platform):
    dana_paid = paid_payment(platform, "dana", "eve", "Admin list")
    gw = platform.gateway_url
    as_admin = httpx.get(gw + "/v1/payments", params={"payer_id": "dana", "limit": 100}, headers=platform.headers("ops", "admin")).json()
    assert dana_paid["id"] in [p["id"] for p in as_admin["data"]] and all(p["payer_id"] == "dana" for p in as_admin["data"])
    by_payee = httpx.get(gw + "/v1/payments", params={"payee_id": "eve", "status": "succeeded"}, headers=platform.headers("ops", "admin")).json()
    assert [p["id"] for p in by_payee["data"]] == [dana_paid["id"]]
    # Another user naming dana sees none of dana's payments.
    as_stranger = httpx.get(gw + "/v1/payments", params={"payer_id": "dana"}, headers=platform.headers("cara")).json()
    assert as_stranger["data"] == []
