"""A booking's `client_secret` confirms its payment: only the payer (the requester) sees it, and
only while the booking awaits payment."""

from __future__ import annotations

import httpx

from test_bookings import become_expert, book, get_booking, pay, someone, tomorrow, wait_booking


def secret_seen(platform, user: str, booking_id: str, role: str = "user") -> str | None:
    response = get_booking(platform, user, booking_id, role)
    assert response.status_code == 200, response.text
    return response.json()["client_secret"]


def listed_secrets(platform, user: str) -> list[str | None]:
    page = httpx.get(platform.gateway_url + "/v1/bookings", headers=platform.headers(user)).json()
    return [b["client_secret"] for b in page["data"]]


def test_only_the_payer_sees_the_client_secret_and_only_until_it_is_paid_or_cancelled(platform):
    requester, expert = someone("payer"), someone("expert")
    become_expert(platform, expert, amount=100)
    created = book(platform, requester, expert, tomorrow(9))
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["client_secret"]
    assert secret_seen(platform, requester, booking["id"]) == booking["client_secret"]
    assert listed_secrets(platform, requester) == [booking["client_secret"]]
    assert secret_seen(platform, expert, booking["id"]) is None
    assert listed_secrets(platform, expert) == [None]
    assert secret_seen(platform, "ops", booking["id"], role="admin") is None

    pay(platform, requester, booking)
    scheduled = wait_booking(platform, requester, booking["id"], lambda b: b["status"] == "scheduled")
    assert scheduled["status"] == "scheduled" and scheduled["client_secret"] is None

    unpaid = book(platform, requester, expert, tomorrow(12)).json()
    assert unpaid["client_secret"]
    cancelled = httpx.post(platform.gateway_url + f"/v1/bookings/{unpaid['id']}/cancel", headers=platform.headers(requester))
    assert cancelled.status_code == 200 and cancelled.json()["client_secret"] is None
    assert secret_seen(platform, requester, unpaid["id"]) is None
