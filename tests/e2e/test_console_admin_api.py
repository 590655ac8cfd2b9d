"""The admin APIs the operator console reads beyond failed work: payment figures, a payment's
receipts, every text and the numbers that opted out. Admins only."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from support import PROBLEM, eventually


@pytest.mark.parametrize("path", ["/v1/admin/payment-stats", "/v1/admin/sms", "/v1/admin/opt-outs", "/v1/admin/receipts?payment_id=pay_none"])
def test_only_admins_read_the_console_figures(platform, path):
    url = platform.gateway_url + path
    assert httpx.get(url).status_code == 401
    user = httpx.get(url, headers=platform.headers("ann"))
    assert (user.status_code, user.headers["content-type"]) == (403, PROBLEM)
    assert httpx.get(url, headers=platform.headers("ops", "admin")).status_code == 200


def test_payment_stats_count_today_per_currency(platform):
    admin = platform.headers("ops", "admin")
    stats = httpx.get(f"{platform.gateway_url}/v1/admin/payment-stats", headers=admin).json()
    assert set(stats) == {"since", "days", "success_rate", "collected"}
    today = datetime.now(UTC).date().isoformat()
    assert all(day["date"] <= today and day["date"] >= stats["since"] for day in stats["days"])
    bad = httpx.get(f"{platform.gateway_url}/v1/admin/payment-stats", params={"days": 0}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("days")


def test_admins_see_every_text_and_opt_out(platform):
    from test_notifications import fresh_number, publish, wait_status  # noqa: PLC0415
    from settle_contracts.notifications import SmsRequested  # noqa: PLC0415

    phone = fresh_number()
    envelope = publish(platform, SmsRequested(to_phone=phone, body="For the console", kind="confirmation", requested_by="quinn"))
    wanted = SmsRequested.sms_id(envelope.id)
    wait_status(platform, "quinn", wanted, "delivered")
    admin = platform.headers("ops", "admin")
    texts = httpx.get(f"{platform.gateway_url}/v1/admin/sms", params={"limit": 100}, headers=admin).json()["data"]
    mine = next(t for t in texts if t["id"] == wanted)
    assert (mine["requested_by"], mine["to"], mine["body"]) == ("quinn", phone, "For the console")
    # Another user sees none of quinn's texts.
    assert all(t["id"] != wanted for t in httpx.get(f"{platform.gateway_url}/v1/sms", headers=platform.headers("ann")).json()["data"])
    opt_outs = httpx.get(f"{platform.gateway_url}/v1/admin/opt-outs", headers=admin)
    assert opt_outs.status_code == 200 and "data" in opt_outs.json()


def test_a_payments_stripe_events_are_found_by_its_payment_intent(platform):
    from test_payments import paid_payment  # noqa: PLC0415

    paid = paid_payment(platform, "cora", "dale", "Console events")
    admin = platform.headers("ops", "admin")
    url = f"{platform.gateway_url}/v1/admin/stripe-events"
    found = httpx.get(url, params={"payment_intent": paid["stripe_payment_intent_id"], "limit": 100}, headers=admin).json()["data"]
    assert "payment_intent.succeeded" in {e["type"] for e in found}
    other = httpx.get(url, params={"payment_intent": "pi_none", "limit": 100}, headers=admin).json()["data"]
    assert other == []
    bad = httpx.get(url, params={"payment_intent": "not an intent"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("payment_intent")


def test_an_invoices_texts_are_found_by_its_id(platform):
    from test_invoices import api, issuer_with_phone, new_invoice  # noqa: PLC0415
    from test_notifications import fresh_number  # noqa: PLC0415

    issuer, _ = issuer_with_phone(platform)
    created = new_invoice(platform, issuer, fresh_number(), total=5_000)
    assert api(platform, "POST", f"/v1/invoices/{created['id']}/send", issuer, json={}).status_code == 202
    admin = platform.headers("ops", "admin")
    texts = httpx.get(f"{platform.gateway_url}/v1/admin/sms", params={"reference_id": created["id"]}, headers=admin).json()["data"]
    assert len(texts) == 1 and texts[0]["reference_id"] == created["id"] and texts[0]["requested_by"] == issuer


def test_an_admin_reads_a_payments_receipts_and_nothing_else_of_its_conversation(platform):
    from test_payments import paid_payment  # noqa: PLC0415

    paid = paid_payment(platform, "rosa", "sven", "Console receipts", amount=4200)
    httpx.post(f"{platform.gateway_url}/v1/conversations/{paid['conversation_id']}/messages", json={"body": "Private note"},
               headers=platform.headers("rosa")).raise_for_status()
    url = f"{platform.gateway_url}/v1/admin/receipts"
    admin = platform.headers("ops", "admin")
    found = eventually(lambda: httpx.get(url, params={"payment_id": paid["id"]}, headers=admin).json()["data"])
    assert [(r["payment_id"], r["conversation_id"], r["body"]) for r in found] == [
        (paid["id"], paid["conversation_id"], "✅ Payment of $42.00 for Console receipts succeeded.")]
    assert httpx.get(url, params={"payment_id": "pay_none"}, headers=admin).json() == {"data": []}
    refused = httpx.get(url, params={"payment_id": paid["id"]}, headers=platform.headers("rosa"))
    assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)
    assert httpx.get(url, params={"payment_id": paid["id"]}).status_code == 401
    for bad in ({}, {"payment_id": "not a payment"}):
        answer = httpx.get(url, params=bad, headers=admin)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"].endswith("payment_id"), answer.text
