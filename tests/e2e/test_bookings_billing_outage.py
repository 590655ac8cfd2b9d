"""Bookings asks billing for payments and transfers with no database transaction held: the
booking (or the payout's claim) is decided and committed first, billing is called, the answer is
recorded after. When billing cannot answer, bookings says 503 with Retry-After, and what was
decided is finished exactly once by the same request again (same Idempotency-Key) or the next
payout run."""

from __future__ import annotations

import os
import signal
import threading
import uuid

import httpx
import pytest

from settle_testing.platform import start_platform, wait_port

from support import PROBLEM, eventually
from test_bookings import (
    become_expert, book, complete_when_started, onboarded, paid_booking, soon, someone, stripe_client, tomorrow,
)


@pytest.fixture(scope="module")
def platform():
    running = start_platform(
        {
            "BOOKINGS_BILLING_TIMEOUT_S": "2",
            # Few connections: any held while billing is asked would starve every other request.
            "BOOKINGS_DATABASE_POOL_SIZE": "2",
            "BILLING_STRIPE_TIMEOUT_S": "1",
            "BILLING_STRIPE_BREAKER_RESET_S": "1",
        }
    )
    yield running
    for name in ("billing", "stripe"):
        if name in running.processes:
            os.kill(running.processes[name].pid, signal.SIGCONT)
    running.stop()


def bookings_of(platform, user: str) -> list[dict]:
    page = httpx.get(platform.gateway_url + "/v1/bookings", params={"as": "requester"}, headers=platform.headers(user), timeout=30)
    assert page.status_code == 200, page.text
    return page.json()["data"]


def payments_of(platform, user: str) -> list[dict]:
    return httpx.get(platform.gateway_url + "/v1/payments", headers=platform.headers(user), timeout=30).json()["data"]


def finished(platform, requester: str, expert: str, start, key: str) -> dict:
    """The same request again until billing answers it."""
    response = eventually(lambda: (r := book(platform, requester, expert, start, key=key)).status_code == 201 and r, timeout=40)
    assert response, book(platform, requester, expert, start, key=key).text
    return response.json()


def test_while_billing_hangs_bookings_are_decided_without_holding_connections_and_finish_once(platform):
    requester, expert = someone("rhea"), someone("eamon")
    become_expert(platform, expert, amount=100)
    slots = [tomorrow(h) for h in (9, 10, 11)]
    keys = [str(uuid.uuid4()) for _ in slots]
    answers: dict[int, httpx.Response] = {}
    billing = platform.processes["billing"].pid
    os.kill(billing, signal.SIGSTOP)
    try:
        threads = [
            threading.Thread(target=lambda i=i: answers.__setitem__(i, book(platform, requester, expert, slots[i], key=keys[i])))
            for i in range(len(slots))
        ]
        for thread in threads:
            thread.start()
        # Three requests wait on billing with two database connections: each decided and
        # committed its booking first, so the bookings are seen (and reading them finds a
        # connection) while billing still does not answer.
        seen = eventually(lambda: len(bookings_of(platform, requester)) == 3, timeout=20)
        assert seen, bookings_of(platform, requester)
        held = bookings_of(platform, requester)
        assert {b["status"] for b in held} == {"awaiting_payment"} and {b["payment_id"] for b in held} == {None}
        assert {b["client_secret"] for b in held} == {None}
        for thread in threads:
            thread.join(30)
    finally:
        os.kill(billing, signal.SIGCONT)
    for answer in answers.values():
        assert answer.status_code in (201, 503), answer.text
        if answer.status_code == 503:
            assert answer.headers["content-type"] == PROBLEM and answer.json()["code"] == "billing_unavailable"
            assert int(answer.headers["Retry-After"]) >= 1

    done = [finished(platform, requester, expert, slot, key) for slot, key in zip(slots, keys, strict=True)]
    assert all(b["status"] == "awaiting_payment" and b["payment_id"] and b["client_secret"] for b in done)
    assert sorted(b["id"] for b in bookings_of(platform, requester)) == sorted(b["id"] for b in done)
    # One payment per booking, however many times billing was asked.
    assert sorted(p["id"] for p in payments_of(platform, requester)) == sorted(b["payment_id"] for b in done)


def test_billing_down_is_a_503_with_retry_after_and_the_same_request_books_once(platform):
    requester, expert = someone("rosa"), someone("enzo")
    become_expert(platform, expert, amount=100)
    key, slot = str(uuid.uuid4()), tomorrow(14)
    platform.stop_process("billing")
    try:
        refused = book(platform, requester, expert, slot, key=key)
        assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM, refused.text
        assert refused.json()["code"] == "billing_unavailable" and int(refused.headers["Retry-After"]) >= 1
        # Decided and kept for the retry: the slot is held, nothing to pay yet.
        [held] = bookings_of(platform, requester)
        assert (held["status"], held["payment_id"], held["client_secret"]) == ("awaiting_payment", None, None)
    finally:
        platform.start_process("billing", "billing")
        platform.wait_ready(platform.gateway_url)

    booked = finished(platform, requester, expert, slot, key)
    assert booked["id"] == held["id"] and booked["payment_id"] and booked["client_secret"]
    replayed = book(platform, requester, expert, slot, key=key)
    assert replayed.status_code == 201 and replayed.json()["payment_id"] == booked["payment_id"]
    assert [b["id"] for b in bookings_of(platform, requester)] == [booked["id"]]
    assert [p["id"] for p in payments_of(platform, requester)] == [booked["payment_id"]]
    # Someone else's try at the held slot is still refused.
    taken = book(platform, someone("other"), expert, slot)
    assert taken.status_code == 409 and taken.json()["code"] == "slot_unavailable"


def test_billing_unavailable_because_stripe_is_down_is_passed_on_as_503_with_its_retry_after(platform):
    requester, expert = someone("remy"), someone("esme")
    become_expert(platform, expert, amount=100)
    key, slot = str(uuid.uuid4()), tomorrow(16)
    stripe_port = int(platform.stripe_url.rsplit(":", 1)[1])
    platform.stop_process("stripe")
    try:
        refused = book(platform, requester, expert, slot, key=key)
        assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM, refused.text
        assert refused.json()["code"] == "billing_unavailable" and int(refused.headers["Retry-After"]) >= 1
    finally:
        platform.start_process(
            "stripe", "stripe_sim", "--host", "127.0.0.1", "--port", str(stripe_port),
            "--webhook-url", f"{platform.gateway_url}/v1/webhooks/stripe", "--webhook-secret", platform.env["STRIPE_WEBHOOK_SECRET"],
        )
        wait_port(stripe_port)
    booked = finished(platform, requester, expert, slot, key)
    assert booked["client_secret"] and [p["id"] for p in payments_of(platform, requester)] == [booked["payment_id"]]


def test_a_payout_run_cut_short_by_billing_pays_each_booking_once_when_run_again(platform):
    experts = [someone("erin"), someone("ezra")]
    accounts = []
    for expert in experts:
        become_expert(platform, expert, amount=100)
        accounts.append(onboarded(platform, expert))
    bookings = [paid_booking(platform, someone("req"), expert, soon(3), 15) for expert in experts]
    completed = [complete_when_started(platform, b["expert_id"], b) for b in bookings]
    assert {b["payout_status"] for b in completed} == {"pending"}
    ours = {b["id"] for b in bookings}
    admin = platform.headers("ops", "admin")

    platform.stop_process("billing")
    try:
        cut = httpx.post(platform.gateway_url + "/v1/admin/payouts/run", headers=admin, timeout=60)
        assert cut.status_code == 200, cut.text
        assert not ours & {p["booking_id"] for p in cut.json()["paid"]}
        assert {(f["booking_id"], f["code"]) for f in cut.json()["failed"] if f["booking_id"] in ours} == {
            (b, "billing_unavailable") for b in ours
        }
        pending = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": "pending"}, headers=admin).json()
        assert {b for row in pending["data"] if row["expert_id"] in experts for b in row["booking_ids"]} == ours
    finally:
        platform.start_process("billing", "billing")
        platform.wait_ready(platform.gateway_url)

    again = httpx.post(platform.gateway_url + "/v1/admin/payouts/run", headers=admin, timeout=60).json()
    assert {p["booking_id"] for p in again["paid"] if p["status"] == "paid"} >= ours
    once_more = httpx.post(platform.gateway_url + "/v1/admin/payouts/run", headers=admin, timeout=60).json()
    assert not ours & {p["booking_id"] for p in once_more["paid"] + once_more["failed"]}
    for account_id, booking in zip(accounts, bookings, strict=True):
        transfers = stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data
        assert [(t.transfer_group, t.amount) for t in transfers] == [(booking["id"], 1350)]
