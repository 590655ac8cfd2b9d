"""Paid expert bookings through the gateway: Stripe simulator payments, refunds on cancellation,
Connect onboarding and payouts, one slot per expert at a time."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import stripe

from settle_testing.platform import start_platform

from support import PROBLEM, eventually


def stripe_client(platform) -> stripe.StripeClient:
    return stripe.StripeClient(platform.env["STRIPE_API_KEY"], base_addresses={"api": platform.stripe_url})


def someone(name: str) -> str:
    """A user id of this test only: the session's platform is shared by every e2e module."""
    return f"{name}_{uuid.uuid4().hex[:8]}"


def become_expert(platform, user: str, amount: int = 100, currency: str = "usd") -> dict:
    response = httpx.put(
        platform.gateway_url + "/v1/experts/me",
        json={"display_name": f"Expert {user}", "rate_per_minute": {"amount": amount, "currency": currency}},
        headers=platform.headers(user),
    )
    assert response.status_code == 200, response.text
    return response.json()


def book(platform, requester: str, expert: str, start: datetime, minutes: int = 30, key: str | None = None) -> httpx.Response:
    return httpx.post(
        platform.gateway_url + "/v1/bookings",
        json={"expert_id": expert, "start_time": start.isoformat(), "duration_minutes": minutes},
        headers={**platform.headers(requester), "Idempotency-Key": key or str(uuid.uuid4())},
        timeout=30,
    )


def get_booking(platform, user: str, booking_id: str, role: str = "user") -> httpx.Response:
    return httpx.get(platform.gateway_url + f"/v1/bookings/{booking_id}", headers=platform.headers(user, role))


def wait_booking(platform, user: str, booking_id: str, check) -> dict:
    """The booking once `check` holds for it (or as it is when the wait runs out)."""

    def seen():
        booking = get_booking(platform, user, booking_id).json()
        return booking if check(booking) else None

    return eventually(seen) or get_booking(platform, user, booking_id).json()


def payment(platform, user: str, payment_id: str) -> dict:
    return httpx.get(platform.gateway_url + f"/v1/payments/{payment_id}", headers=platform.headers(user)).json()


def pay(platform, requester: str, booking: dict, card: str = "pm_card_visa") -> None:
    intent_id = payment(platform, requester, booking["payment_id"])["stripe_payment_intent_id"]
    stripe_client(platform).v1.payment_intents.confirm(intent_id, params={"payment_method": card})


def paid_booking(platform, requester: str, expert: str, start: datetime, minutes: int = 30) -> dict:
    created = book(platform, requester, expert, start, minutes)
    assert created.status_code == 201, created.text
    pay(platform, requester, created.json())
    scheduled = wait_booking(platform, requester, created.json()["id"], lambda b: b["status"] == "scheduled")
    assert scheduled["status"] == "scheduled", scheduled
    return scheduled


def onboarded(platform, expert: str) -> str:
    """Opens the expert's Connect account and completes its onboarding in the simulator."""
    opened = httpx.post(platform.gateway_url + "/v1/payout-accounts", headers=platform.headers(expert))
    assert opened.status_code == 201, opened.text
    account = opened.json()
    assert account["account_id"].startswith("acct_") and account["onboarding_url"] and account["payouts_enabled"] is False
    stripe_client(platform).raw_request("post", f"/v1/test_helpers/accounts/{account['account_id']}/complete_onboarding")
    enabled = eventually(
        lambda: httpx.get(platform.gateway_url + f"/v1/experts/{expert}", headers=platform.headers(expert)).json()["payouts_enabled"]
    )
    assert enabled, "payouts_enabled never arrived from billing"
    return account["account_id"]


def complete_when_started(platform, expert: str, booking: dict) -> dict:
    start = datetime.fromisoformat(booking["start_time"])
    time.sleep(max((start - datetime.now(UTC)).total_seconds() + 0.05, 0))
    completed = httpx.post(platform.gateway_url + f"/v1/bookings/{booking['id']}/complete", headers=platform.headers(expert))
    assert completed.status_code == 200, completed.text
    return completed.json()


def run_payouts(platform) -> dict:
    response = httpx.post(platform.gateway_url + "/v1/admin/payouts/run", headers=platform.headers("ops", "admin"), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def soon(seconds: float = 3) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def tomorrow(hour: int = 10) -> datetime:
    return (datetime.now(UTC) + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_book_pay_complete_and_the_payout_run_pays_the_expert_once(platform):
    requester, expert = someone("rita"), someone("ed")
    profile = become_expert(platform, expert, amount=100)  # $1.00 a minute
    assert profile == {"id": expert, "display_name": f"Expert {expert}", "rate_per_minute": {"amount": 100, "currency": "usd"},
                       "payouts_enabled": False}

    created = book(platform, requester, expert, soon(4), 30)
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "awaiting_payment" and booking["client_secret"] and booking["payment_id"]
    assert (booking["price"], booking["platform_fee"], booking["expert_payout"]) == (
        {"amount": 3000, "currency": "usd"}, {"amount": 300, "currency": "usd"}, {"amount": 2700, "currency": "usd"},
    )
    assert payment(platform, requester, booking["payment_id"])["purpose"] == "booking"

    pay(platform, requester, booking)
    scheduled = wait_booking(platform, requester, booking["id"], lambda b: b["status"] == "scheduled")
    assert scheduled["status"] == "scheduled"
    account_id = onboarded(platform, expert)
    assert httpx.get(platform.gateway_url + "/v1/payout-accounts/me", headers=platform.headers(expert)).json() == {
        "account_id": account_id, "payouts_enabled": True,
    }

    completed = complete_when_started(platform, expert, scheduled)
    assert completed["status"] == "completed" and completed["payout_status"] == "pending"
    cancel = httpx.post(platform.gateway_url + f"/v1/bookings/{booking['id']}/cancel", json={}, headers=platform.headers(requester))
    assert cancel.status_code == 409 and cancel.json()["code"] == "booking_completed"

    pending = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": "pending"}, headers=platform.headers("ops", "admin"))
    mine = [row for row in pending.json()["data"] if row["expert_id"] == expert]
    assert mine == [{"expert_id": expert, "payee_id": expert, "booking_ids": [booking["id"]],
                     "sources": [{"type": "booking", "id": booking["id"]}], "amount": 2700, "currency": "usd", "status": "pending",
                     "amount_reversed": 0, "payouts_enabled": True}]

    first = run_payouts(platform)
    ours = [(p["expert_id"], p["amount"], p["currency"], p["status"]) for p in first["paid"] if p["booking_id"] == booking["id"]]
    assert ours == [(expert, 2700, "usd", "paid")]
    transfers = stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data
    assert [(t.amount, t.currency, t.transfer_group) for t in transfers] == [(2700, "usd", booking["id"])]

    again = run_payouts(platform)
    assert booking["id"] not in [p["booking_id"] for p in again["paid"] + again["failed"]]
    assert len(stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data) == 1
    assert get_booking(platform, expert, booking["id"]).json()["payout_status"] == "paid"
    paid = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": "paid"}, headers=platform.headers("ops", "admin"))
    assert [(r["booking_ids"], r["amount"]) for r in paid.json()["data"] if r["expert_id"] == expert] == [([booking["id"]], 2700)]

    metrics = httpx.get(platform.gateway_url + "/v1/admin/metrics", params={"window": "24h"}, headers=platform.headers("ops", "admin"))
    assert metrics.status_code == 200, metrics.text
    figures = metrics.json()
    assert figures["bookings_created"] >= 1 and 0 < figures["payment_success_rate"] <= 1
    assert next(m["amount"] for m in figures["platform_revenue"] if m["currency"] == "usd") >= 300


def test_two_payout_runs_at_once_pay_each_booking_once(platform):
    pairs = [(someone("rae"), someone("eva")), (someone("rob"), someone("eli"))]
    accounts, bookings = {}, []
    for requester, expert in pairs:
        become_expert(platform, expert, amount=250, currency="eur")
        bookings.append(paid_booking(platform, requester, expert, soon(3), 20))
        accounts[expert] = onboarded(platform, expert)
    for (_, expert), booking in zip(pairs, bookings, strict=True):
        complete_when_started(platform, expert, booking)

    results: list[dict] = []
    runs = [threading.Thread(target=lambda: results.append(run_payouts(platform))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    paid_ids = [p["booking_id"] for result in results for p in result["paid"]]
    for (_, expert), booking in zip(pairs, bookings, strict=True):
        assert paid_ids.count(booking["id"]) == 1
        transfers = stripe_client(platform).v1.transfers.list(params={"destination": accounts[expert]}).data
        assert [(t.amount, t.currency, t.transfer_group) for t in transfers] == [(4500, "eur", booking["id"])]  # 90 % of €50.00


def test_a_refund_after_the_payout_reverses_the_experts_share_of_it(platform):
    requester, expert = someone("remy"), someone("edie")
    become_expert(platform, expert, amount=100)
    booking = paid_booking(platform, requester, expert, soon(3), 30)
    account_id = onboarded(platform, expert)
    complete_when_started(platform, expert, booking)
    assert [p["amount"] for p in run_payouts(platform)["paid"] if p["booking_id"] == booking["id"]] == [2700]
    client, admin = stripe_client(platform), platform.headers("ops", "admin")
    refunds = platform.gateway_url + f"/v1/payments/{booking['payment_id']}/refunds"

    def reversed_so_far() -> int:
        return client.v1.transfers.list(params={"destination": account_id}).data[0].amount_reversed

    # $10.00 of $30.00 back to the requester: 90 % of it comes back from the expert.
    assert httpx.post(refunds, json={"amount": 1000}, headers=admin).status_code == 201
    assert eventually(lambda: reversed_so_far() == 900), reversed_so_far()
    assert httpx.post(refunds, json={}, headers=admin).status_code == 201
    assert eventually(lambda: reversed_so_far() == 2700), reversed_so_far()

    def paid_row():
        rows = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": "paid"}, headers=admin).json()["data"]
        return next((r for r in rows if r["expert_id"] == expert and r["amount_reversed"] == 2700), None)

    assert eventually(paid_row), "bookings never learnt of the reversal"
    assert get_booking(platform, requester, booking["id"]).json()["amount_refunded"]["amount"] == 3000


def test_billing_pays_one_transfer_per_booking_even_when_asked_twice_at_once(platform):
    requester, expert = someone("ray"), someone("emma")
    become_expert(platform, expert, amount=100)
    booking = paid_booking(platform, requester, expert, tomorrow(), 15)
    account_id = onboarded(platform, expert)
    body = {"reference_type": "booking", "reference_id": booking["id"], "payment_id": booking["payment_id"], "payee_id": expert,
            "amount": 1350, "currency": "usd"}
    answers: list[httpx.Response] = []

    def ask(key: str) -> None:
        answers.append(httpx.post(platform.service_urls["billing"] + "/internal/transfers", json=body,
                                  headers={**platform.headers("bookings", "service"), "Idempotency-Key": key}, timeout=30))

    askers = [threading.Thread(target=ask, args=(f"k-{i}",)) for i in range(3)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data) == 1
    user = httpx.post(platform.service_urls["billing"] + "/internal/transfers", json=body, headers=platform.headers(expert))
    assert user.status_code == 403


def test_cancelling_a_paid_booking_refunds_it(platform):
    requester, expert = someone("rosa"), someone("eric")
    become_expert(platform, expert, amount=100)
    booking = paid_booking(platform, requester, expert, tomorrow(), 30)

    cancelled = httpx.post(
        platform.gateway_url + f"/v1/bookings/{booking['id']}/cancel", json={"reason": "Plans changed"}, headers=platform.headers(requester)
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled_by_requester" and cancelled.json()["cancellation_reason"] == "Plans changed"

    refunded = wait_booking(platform, requester, booking["id"], lambda b: b["amount_refunded"]["amount"] == 3000)
    assert refunded["status"] == "cancelled_by_requester" and refunded["amount_refunded"] == {"amount": 3000, "currency": "usd"}
    money = payment(platform, requester, booking["payment_id"])
    assert (money["status"], money["amount_refunded"]) == ("refunded", 3000)
    intent = stripe_client(platform).v1.payment_intents.retrieve(money["stripe_payment_intent_id"], params={"expand": ["latest_charge"]})
    assert intent.latest_charge.amount_refunded == 3000 and intent.latest_charge.refunded

    again = httpx.post(platform.gateway_url + f"/v1/bookings/{booking['id']}/cancel", json={}, headers=platform.headers(expert))
    assert again.status_code == 200 and again.json()["status"] == "cancelled_by_requester"
    time.sleep(0.5)
    assert payment(platform, requester, booking["payment_id"])["amount_refunded"] == 3000
    # The slot is free again.
    assert book(platform, someone("rex"), expert, tomorrow(), 30).status_code == 201


def test_an_expert_cancelling_refunds_in_full_and_a_free_session_needs_no_payment(platform):
    requester, expert, free_expert = someone("rue"), someone("eve"), someone("fay")
    become_expert(platform, expert, amount=1000, currency="jpy")  # ¥1,000 a minute
    booking = paid_booking(platform, requester, expert, tomorrow(), 15)
    assert (booking["price"]["amount"], booking["platform_fee"]["amount"], booking["expert_payout"]["amount"]) == (15000, 1500, 13500)
    cancelled = httpx.post(platform.gateway_url + f"/v1/bookings/{booking['id']}/cancel", headers=platform.headers(expert))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled_by_expert"
    assert wait_booking(platform, expert, booking["id"], lambda b: b["amount_refunded"]["amount"] == 15000)["amount_refunded"]["amount"] == 15000

    become_expert(platform, free_expert, amount=0)
    free = book(platform, requester, free_expert, tomorrow(), 60)
    assert free.status_code == 201, free.text
    assert free.json()["status"] == "scheduled"
    assert (free.json()["price"]["amount"], free.json()["payment_id"], free.json()["client_secret"]) == (0, None, None)


def test_two_requests_for_one_slot_give_one_booking_and_one_conflict(platform):
    expert = someone("erin")
    become_expert(platform, expert, amount=100)
    start = tomorrow(14)
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def attempt(requester: str) -> None:
        barrier.wait()
        answers.append(book(platform, requester, expert, start, 60))

    threads = [threading.Thread(target=attempt, args=(someone(name),)) for name in ("rick", "roy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    conflict = next(a for a in answers if a.status_code == 409)
    assert conflict.json()["code"] == "slot_unavailable" and conflict.headers["content-type"].startswith(PROBLEM)

    overlapping = book(platform, someone("ria"), expert, start + timedelta(minutes=45), 30)
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "slot_unavailable"
    right_after = book(platform, someone("ria"), expert, start + timedelta(minutes=60), 30)
    assert right_after.status_code == 201, right_after.text


def test_strangers_see_nothing_and_requesters_do_not_complete(platform):
    requester, expert = someone("ruth"), someone("ezra")
    become_expert(platform, expert, amount=100)
    booking = paid_booking(platform, requester, expert, tomorrow(), 30)
    gw = platform.gateway_url

    assert get_booking(platform, someone("mallory"), booking["id"]).status_code == 404
    for action in ("cancel", "complete"):
        stranger = httpx.post(gw + f"/v1/bookings/{booking['id']}/{action}", headers=platform.headers(someone("mallory")))
        assert stranger.status_code == 404 and stranger.json()["code"] == "booking_not_found"
    assert get_booking(platform, "ops", booking["id"], "admin").status_code == 200
    assert get_booking(platform, expert, booking["id"]).json()["client_secret"] is None  # only the payer may pay

    by_requester = httpx.post(gw + f"/v1/bookings/{booking['id']}/complete", headers=platform.headers(requester))
    assert by_requester.status_code == 403 and by_requester.json()["code"] == "complete_not_allowed"
    too_early = httpx.post(gw + f"/v1/bookings/{booking['id']}/complete", headers=platform.headers(expert))
    assert too_early.status_code == 409 and too_early.json()["code"] == "booking_not_started"

    as_requester = httpx.get(gw + "/v1/bookings", params={"as": "requester"}, headers=platform.headers(requester)).json()
    assert [b["id"] for b in as_requester["data"]] == [booking["id"]]
    assert httpx.get(gw + "/v1/bookings", params={"as": "expert"}, headers=platform.headers(requester)).json()["data"] == []
    assert [b["id"] for b in httpx.get(gw + "/v1/bookings", headers=platform.headers(expert)).json()["data"]] == [booking["id"]]
    for path in ("/v1/admin/payouts", "/v1/admin/metrics"):
        assert httpx.get(gw + path, headers=platform.headers(requester)).status_code == 403
    assert httpx.post(gw + "/v1/admin/payouts/run", headers=platform.headers(expert)).status_code == 403
    assert httpx.get(gw + f"/v1/experts/{someone('nobody')}", headers=platform.headers(requester)).status_code == 404
    for user in (expert, requester):  # nobody has an account before opening one
        missing = httpx.get(gw + "/v1/payout-accounts/me", headers=platform.headers(user))
        assert (missing.status_code, missing.json()["code"]) == (404, "payout_account_not_found")


def test_bad_bookings_are_refused_naming_the_field(platform):
    requester, expert = someone("rudy"), someone("enzo")
    become_expert(platform, expert, amount=100)
    gw, headers = platform.gateway_url, platform.headers(requester)
    base = {"expert_id": expert, "start_time": tomorrow().isoformat(), "duration_minutes": 30}
    for change, field, code in [
        ({"duration_minutes": 10}, "duration_minutes", None), ({"duration_minutes": 245}, "duration_minutes", None),
        ({"duration_minutes": 32}, "duration_minutes", None), ({"duration_minutes": 30.0}, "duration_minutes", None),
        ({"start_time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}, "start_time", "start_time_not_in_future"),
        ({"start_time": "2030-01-01T10:00:00"}, "start_time", None),  # no time zone
        ({"expert_id": requester}, "expert_id", "cannot_book_yourself"),
    ]:
        response = httpx.post(gw + "/v1/bookings", json={**base, **change}, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in response.json()["errors"]], (change, response.json())
        if code:
            assert response.json()["code"] == code
    for rate, field in [({"amount": -1, "currency": "usd"}, "rate_per_minute.amount"), ({"amount": 1.5, "currency": "usd"}, "rate_per_minute.amount"),
                        ({"amount": 100, "currency": "xyz"}, "rate_per_minute.currency")]:
        response = httpx.put(gw + "/v1/experts/me", json={"display_name": "X", "rate_per_minute": rate}, headers=headers)
        assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]], response.text
    unknown = httpx.post(gw + "/v1/bookings", json={**base, "expert_id": someone("ghost")}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "expert_not_found"


def test_an_idempotency_key_replays_the_booking(platform):
    requester, expert = someone("reed"), someone("elsa")
    become_expert(platform, expert, amount=100)
    key = str(uuid.uuid4())
    first = book(platform, requester, expert, tomorrow(16), 30, key=key)
    again = book(platform, requester, expert, tomorrow(16), 30, key=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = book(platform, requester, expert, tomorrow(17), 30, key=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_the_gateway_documents_the_bookings_api(platform):
    paths = httpx.get(platform.gateway_url + "/openapi.json").json()["paths"]
    assert {"/v1/experts/me", "/v1/experts/{expert_id}", "/v1/payout-accounts", "/v1/payout-accounts/me", "/v1/bookings",
            "/v1/bookings/{booking_id}", "/v1/bookings/{booking_id}/cancel", "/v1/bookings/{booking_id}/complete",
            "/v1/admin/payouts", "/v1/admin/payouts/run", "/v1/admin/metrics"} <= set(paths)
    assert not [p for p in paths if p.startswith("/internal")]


@pytest.fixture(scope="module")
def hasty_platform():
    """Unpaid bookings hold their slot for 5 seconds here (long enough to book and pay on a busy
    machine), and are swept every 0.2 s."""
    running = start_platform({"BOOKINGS_PAYMENT_HOLD_S": "5", "BOOKINGS_EXPIRE_INTERVAL_S": "0.2"})
    yield running
    running.stop()


def test_an_unpaid_booking_expires_and_frees_its_slot(hasty_platform):
    requester, expert = someone("rene"), someone("ella")
    become_expert(hasty_platform, expert, amount=100)
    booking = book(hasty_platform, requester, expert, tomorrow(), 30).json()
    assert booking["status"] == "awaiting_payment" and booking["hold_expires_at"]
    assert book(hasty_platform, someone("rolf"), expert, tomorrow(), 30).status_code == 409

    expired = wait_booking(hasty_platform, requester, booking["id"], lambda b: b["status"] == "expired")
    assert expired["status"] == "expired"
    assert book(hasty_platform, someone("rolf"), expert, tomorrow(), 30).status_code == 201
    # Billing closed the payment: it can no longer be paid.
    assert eventually(lambda: payment(hasty_platform, requester, booking["payment_id"])["status"] == "canceled")


def test_a_payment_that_lands_after_expiry_is_refunded(hasty_platform):
    requester, expert = someone("ross"), someone("esme")
    become_expert(hasty_platform, expert, amount=100)
    booking = book(hasty_platform, requester, expert, tomorrow(), 20).json()
    # The card is still being processed when the hold runs out.
    pay(hasty_platform, requester, booking, card="pm_card_sim_processing")
    assert wait_booking(hasty_platform, requester, booking["id"], lambda b: b["status"] == "expired")["status"] == "expired"
    intent_id = payment(hasty_platform, requester, booking["payment_id"])["stripe_payment_intent_id"]
    stripe_client(hasty_platform).raw_request("post", f"/v1/test_helpers/payment_intents/{intent_id}/finish_processing", outcome="succeeded")

    refunded = eventually(lambda: payment(hasty_platform, requester, booking["payment_id"])["status"] == "refunded")
    assert refunded and payment(hasty_platform, requester, booking["payment_id"])["amount_refunded"] == 2000
    final = wait_booking(hasty_platform, requester, booking["id"], lambda b: b["amount_refunded"]["amount"] == 2000)
    assert (final["status"], final["amount_refunded"]["amount"]) == ("expired", 2000)
