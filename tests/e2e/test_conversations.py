"""Conversations and messages through the gateway: posting, newest-first pages, privacy, hiding,
paid messages, and payment receipts from billing's events on the real bus."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
import pytest

from settle_contracts import Envelope
from settle_contracts.billing import PaymentFailed, PaymentRefunded, PaymentSucceeded
from settle_kit.bus.messages import build_message

from support import PROBLEM, eventually
FILE = {"name": "logo.png", "content_type": "image/png", "size": 2048, "url": "https://files.example.com/logo.png"}


def user() -> str:
    """A fresh user per test: the platform is shared by the whole session."""
    return f"u{uuid.uuid4().hex[:12]}"


def open_conversation(platform, a: str, *others: str, title: str | None = None) -> dict:
    gw, headers = platform.gateway_url, platform.headers(a)
    body: dict = {"participant_ids": list(others)}
    if title is not None:
        project = httpx.post(gw + "/v1/projects", json={"title": title}, headers=headers).json()
        for other in others:
            httpx.post(gw + f"/v1/projects/{project['id']}/members", json={"user_id": other}, headers=headers).raise_for_status()
        body["project_id"] = project["id"]
    created = httpx.post(gw + "/v1/conversations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


def post(platform, who: str, conversation_id: str, **body) -> httpx.Response:
    return httpx.post(platform.gateway_url + f"/v1/conversations/{conversation_id}/messages", json=body, headers=platform.headers(who))


def messages(platform, who: str, conversation_id: str, **params) -> httpx.Response:
    return httpx.get(platform.gateway_url + f"/v1/conversations/{conversation_id}/messages", params=params, headers=platform.headers(who))


def listed_ids(platform, who: str, **params) -> list[str]:
    response = httpx.get(platform.gateway_url + "/v1/conversations", params=params, headers=platform.headers(who))
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


def assert_problem(response: httpx.Response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    if fields:
        assert {e["field"] for e in body["errors"]} == set(fields), body
    return body


# -- messages ------------------------------------------------------------------------------------


def test_text_messages_are_listed_newest_first_in_pages(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    sent = []
    for i in range(5):
        response = post(platform, a if i % 2 == 0 else b, conversation["id"], body=f"hello {i}")
        assert response.status_code == 201, response.text
        sent.append(response.json())
    first = sent[0]
    assert first["conversation_id"] == conversation["id"] and first["sender_id"] == a
    assert (first["kind"], first["body"], first["attachments"], first["price"], first["unlocked"]) == ("text", "hello 0", [], None, True)

    page1 = messages(platform, b, conversation["id"], limit=2).json()
    page2 = messages(platform, b, conversation["id"], limit=2, starting_after=page1["data"][-1]["id"]).json()
    page3 = messages(platform, b, conversation["id"], limit=2, starting_after=page2["data"][-1]["id"]).json()
    assert [m["body"] for m in page1["data"] + page2["data"] + page3["data"]] == [f"hello {i}" for i in reversed(range(5))]
    assert [page1["has_more"], page2["has_more"], page3["has_more"]] == [True, True, False]
    assert messages(platform, a, conversation["id"]).json() == {"data": [m for m in reversed(sent)], "has_more": False}

    seen = httpx.get(platform.gateway_url + f"/v1/conversations/{conversation['id']}", headers=platform.headers(a)).json()
    assert seen["last_message_at"] == sent[-1]["created_at"]


def test_a_bad_cursor_or_limit_is_a_422_naming_the_field(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    other = open_conversation(platform, a, b)
    foreign = post(platform, a, other["id"], body="elsewhere").json()
    assert_problem(messages(platform, a, conversation["id"], starting_after="msg_nope"), 422, "starting_after")
    assert_problem(messages(platform, a, conversation["id"], starting_after=foreign["id"]), 422, "starting_after")
    assert_problem(messages(platform, a, conversation["id"], limit=0), 422, "limit")
    assert_problem(messages(platform, a, conversation["id"], limit=101), 422, "limit")


def test_a_stranger_gets_404_for_the_conversation_its_messages_and_posting(platform):
    a, b, c = user(), user(), user()
    conversation = open_conversation(platform, a, b)
    post(platform, a, conversation["id"], body="private").raise_for_status()
    gw = platform.gateway_url
    assert_problem(httpx.get(gw + f"/v1/conversations/{conversation['id']}", headers=platform.headers(c)), 404)
    assert assert_problem(messages(platform, c, conversation["id"]), 404)["code"] == "conversation_not_found"
    assert_problem(post(platform, c, conversation["id"], body="let me in"), 404)
    assert_problem(httpx.post(gw + f"/v1/conversations/{conversation['id']}/hide", headers=platform.headers(c)), 404)
    assert conversation["id"] not in listed_ids(platform, c, include_hidden="true")
    # An unknown conversation looks exactly the same.
    assert_problem(messages(platform, c, "conv_does_not_exist"), 404)
    assert [m["body"] for m in messages(platform, b, conversation["id"]).json()["data"]] == ["private"]
    assert_problem(messages(platform, "ops", conversation["id"]), 404)
    as_admin = httpx.get(gw + f"/v1/conversations/{conversation['id']}/messages", headers=platform.headers("ops", "admin"))
    assert [m["body"] for m in as_admin.json()["data"]] == ["private"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({}, "body"),
        ({"body": "hi", "price": {"amount": 30.0, "currency": "usd"}}, "price.amount"),
        ({"body": "hi", "price": {"amount": 3000, "currency": "xyz"}}, "price.currency"),
        ({"body": "hi", "price": {"amount": -1, "currency": "usd"}}, "price.amount"),
        ({"body": "hi", "attachments": [{**FILE, "size": -5}]}, "attachments.0.size"),
        ({"body": "hi", "attachments": [{**FILE, "size": 0}]}, "attachments.0.size"),
        ({"body": "hi", "attachments": [{**FILE, "size": 10.5}]}, "attachments.0.size"),
        ({"body": "hi", "attachments": [{**FILE, "url": "ftp://files.example.com/x"}]}, "attachments.0.url"),
        ({"body": "hi", "attachments": [{**FILE, "url": "not a url"}]}, "attachments.0.url"),
        ({"body": "hi", "attachments": [{**FILE, "name": ""}]}, "attachments.0.name"),
        ({"body": "hi", "attachments": [{k: v for k, v in FILE.items() if k != "content_type"}]}, "attachments.0.content_type"),
        ({"body": "teaser", "price": {"amount": 500, "currency": "usd"}}, "attachment_ids"),
        # What is sold is held by Settle: a link to a file held elsewhere cannot be.
        ({"body": "teaser", "attachments": [FILE], "price": {"amount": 500, "currency": "usd"}}, "attachments"),
        ({"body": "hi", "kind": "system"}, "kind"),
    ],
)
def test_bad_messages_are_422_problems_naming_the_field(platform, body, field):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    assert assert_problem(post(platform, a, conversation["id"], **body), 422, field)["code"] == "validation_error"
    assert messages(platform, a, conversation["id"]).json()["data"] == []


def test_a_paid_message_shows_its_attachments_to_its_sender_only(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    price = {"amount": 1500, "currency": "eur"}

    def uploaded() -> dict:
        response = httpx.post(platform.gateway_url + "/v1/attachments", headers=platform.headers(a),
                              files={"file": ("final.txt", b"the final files", "text/plain")})
        assert response.status_code == 201, response.text
        return response.json()

    held = uploaded()
    shown = {"id": held["id"], "name": "final.txt", "content_type": "text/plain", "size": 15, "url": None}
    created = post(platform, a, conversation["id"], body="The final files", attachment_ids=[held["id"]], price=price)
    assert created.status_code == 201, created.text
    assert (created.json()["kind"], created.json()["attachments"], created.json()["unlocked"]) == ("paid", [shown], True)
    again = post(platform, a, conversation["id"], body="twice", attachment_ids=[held["id"]], price=price)
    assert assert_problem(again, 422, "attachment_ids")["code"] == "attachment_unavailable"
    second = uploaded()
    empty_teaser = post(platform, a, conversation["id"], body="", attachment_ids=[second["id"]], price=price)
    assert empty_teaser.status_code == 201, empty_teaser.text

    as_sender = messages(platform, a, conversation["id"]).json()["data"]
    as_other = messages(platform, b, conversation["id"]).json()["data"]
    assert [(m["body"], m["attachment_count"], m["unlocked"], m["price"]) for m in as_sender] == [
        ("", 1, True, price), ("The final files", 1, True, price)
    ]
    assert as_sender[1]["attachments"] == [shown]
    assert [(m["kind"], m["body"], m["attachments"], m["attachment_count"], m["unlocked"], m["price"]) for m in as_other] == [
        ("paid", "", [], 1, False, price), ("paid", "The final files", [], 1, False, price)
    ]


# -- the conversation list, hiding ----------------------------------------------------------------


def test_conversations_are_listed_by_newest_activity_in_pages(platform):
    a, b = user(), user()
    first = open_conversation(platform, a, b)
    second = open_conversation(platform, a, b)
    third = open_conversation(platform, b, a)
    assert listed_ids(platform, a) == [third["id"], second["id"], first["id"]]
    post(platform, b, first["id"], body="bumps the oldest").raise_for_status()
    assert listed_ids(platform, a) == [first["id"], third["id"], second["id"]]

    gw = platform.gateway_url
    page1 = httpx.get(gw + "/v1/conversations", params={"limit": 2}, headers=platform.headers(a)).json()
    page2 = httpx.get(gw + "/v1/conversations", params={"limit": 2, "starting_after": page1["data"][-1]["id"]}, headers=platform.headers(a)).json()
    assert ([c["id"] for c in page1["data"]], page1["has_more"]) == ([first["id"], third["id"]], True)
    assert ([c["id"] for c in page2["data"]], page2["has_more"]) == ([second["id"]], False)
    shown = page1["data"][0]
    assert {"id", "project_id", "participant_ids", "created_at", "last_message_at", "hidden"} <= set(shown)
    assert shown["last_message_at"] is not None and shown["hidden"] is False
    assert_problem(httpx.get(gw + "/v1/conversations", params={"starting_after": "conv_nope"}, headers=platform.headers(a)), 422, "starting_after")


def test_hiding_is_per_caller_and_a_new_message_shows_the_conversation_again(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    post(platform, a, conversation["id"], body="first").raise_for_status()
    gw, cid = platform.gateway_url, conversation["id"]

    hidden = httpx.post(gw + f"/v1/conversations/{cid}/hide", headers=platform.headers(a))
    assert hidden.status_code == 204 and hidden.content == b""
    assert httpx.post(gw + f"/v1/conversations/{cid}/hide", headers=platform.headers(a)).status_code == 204  # idempotent
    assert cid not in listed_ids(platform, a)
    assert cid in listed_ids(platform, b)
    assert cid in listed_ids(platform, a, include_hidden="true")
    assert httpx.get(gw + f"/v1/conversations/{cid}", headers=platform.headers(a)).json()["hidden"] is True
    assert [m["body"] for m in messages(platform, a, cid).json()["data"]] == ["first"]  # nothing deleted

    post(platform, b, cid, body="are you there?").raise_for_status()
    assert cid in listed_ids(platform, a)
    assert httpx.get(gw + f"/v1/conversations/{cid}", headers=platform.headers(a)).json()["hidden"] is False

    assert httpx.post(gw + f"/v1/conversations/{cid}/hide", headers=platform.headers(a)).status_code == 204
    assert cid not in listed_ids(platform, a)
    assert httpx.post(gw + f"/v1/conversations/{cid}/unhide", headers=platform.headers(a)).status_code == 204
    assert cid in listed_ids(platform, a)
    assert [m["body"] for m in messages(platform, a, cid).json()["data"]] == ["are you there?", "first"]


# -- payment receipts from billing's events ------------------------------------------------------


def payment_fields(conversation: dict, amount: int = 3000, currency: str = "usd", **changes) -> dict:
    fields = {
        "payment_id": f"pay_{uuid.uuid4().hex}",
        "purpose": "milestone",
        "status": "succeeded",
        "amount": amount,
        "currency": currency,
        "amount_refunded": 0,
        "payer_id": conversation["participant_ids"][0],
        "payee_id": conversation["participant_ids"][1],
        "project_id": conversation["project_id"],
        "conversation_id": conversation["id"],
    }
    return {**fields, **changes}


def publish(platform, *events) -> None:
    """As billing's relay would: each event in its own envelope (a new event id), routed by type."""

    async def send() -> None:
        connection = await aio_pika.connect(platform.namespace.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(platform.namespace.topology.events_exchange)
            for event in events:
                envelope = Envelope.wrap(event, producer="billing").model_dump(mode="json")
                await exchange.publish(build_message(envelope, {}), routing_key=event.event_type)
        finally:
            await connection.close()

    asyncio.run(send())


def publish_same_envelope(platform, event, times: int) -> None:
    """A redelivery: the very same event id, several times."""

    async def send() -> None:
        connection = await aio_pika.connect(platform.namespace.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(platform.namespace.topology.events_exchange)
            envelope = Envelope.wrap(event, producer="billing").model_dump(mode="json")
            for _ in range(times):
                await exchange.publish(build_message(envelope, {}), routing_key=event.event_type)
        finally:
            await connection.close()

    asyncio.run(send())


def system_messages(platform, who: str, conversation_id: str) -> list[dict]:
    data = messages(platform, who, conversation_id, limit=100).json()["data"]
    return [m for m in data if m["kind"] == "system"]


def wait_for_bodies(platform, who: str, conversation_id: str, expected: list[str]) -> list[str]:
    """Polls until the system messages are `expected` (newest first); returns what was last seen."""
    seen: list[str] = []

    def check() -> bool:
        seen[:] = [m["body"] for m in system_messages(platform, who, conversation_id)]
        return seen == expected

    eventually(check)
    return seen


def test_a_succeeded_payment_posts_one_receipt_whatever_the_deliveries(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b, title="Logo design")
    fields = payment_fields(conversation)
    succeeded = PaymentSucceeded(**fields, succeeded_at=datetime.now(UTC))
    publish_same_envelope(platform, succeeded, 3)
    publish(platform, PaymentSucceeded(**fields, succeeded_at=datetime.now(UTC)))  # billing said it again, new id
    expected = ["✅ Payment of $30.00 for Logo design succeeded."]
    assert wait_for_bodies(platform, b, conversation["id"], expected) == expected

    # A later marker proves every earlier delivery was handled before we count.
    marker = payment_fields(conversation, amount=100)
    publish(platform, PaymentSucceeded(**marker, succeeded_at=datetime.now(UTC)))
    expected = ["✅ Payment of $1.00 for Logo design succeeded.", *expected]
    assert wait_for_bodies(platform, b, conversation["id"], expected) == expected
    receipt = system_messages(platform, a, conversation["id"])[1]
    assert (receipt["sender_id"], receipt["kind"], receipt["payment_id"], receipt["unlocked"]) == ("system", "system", fields["payment_id"], True)
    assert receipt["attachments"] == [] and receipt["price"] is None


def test_receipts_are_formatted_in_the_payments_currency(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b, title="Translation")
    publish(platform, PaymentSucceeded(**payment_fields(conversation, amount=3000, currency="jpy"), succeeded_at=datetime.now(UTC)))
    expected = ["✅ Payment of ¥3,000 for Translation succeeded."]
    assert wait_for_bodies(platform, a, conversation["id"], expected) == expected


def test_a_partial_then_a_full_refund_each_post_a_receipt(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b, title="Website")
    fields = payment_fields(conversation)
    publish(platform, PaymentSucceeded(**fields, succeeded_at=datetime.now(UTC)))
    wait_for_bodies(platform, a, conversation["id"], ["✅ Payment of $30.00 for Website succeeded."])
    partial = PaymentRefunded(**{**fields, "status": "partially_refunded", "amount_refunded": 1000}, refund_id="re_1", refund_amount=1000)
    publish(platform, partial, partial)
    wait_for_bodies(platform, a, conversation["id"], [
        "↩️ $10.00 of the payment of $30.00 for Website was refunded.", "✅ Payment of $30.00 for Website succeeded."
    ])
    publish(platform, PaymentRefunded(**{**fields, "status": "refunded", "amount_refunded": 3000}, refund_id="re_2", refund_amount=2000))
    expected = [
        "↩️ $20.00 of the payment of $30.00 for Website was refunded; it is now fully refunded.",
        "↩️ $10.00 of the payment of $30.00 for Website was refunded.",
        "✅ Payment of $30.00 for Website succeeded.",
    ]
    assert wait_for_bodies(platform, b, conversation["id"], expected) == expected

    whole = payment_fields(conversation, amount=5000)
    publish(platform, PaymentRefunded(**{**whole, "status": "refunded", "amount_refunded": 5000}, refund_id="re_3", refund_amount=5000))
    expected = ["↩️ The payment of $50.00 for Website was fully refunded.", *expected]
    assert wait_for_bodies(platform, b, conversation["id"], expected) == expected


def test_receipts_read_in_the_order_of_the_outcomes_however_late_or_reordered_they_arrive(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b, title="Website")
    fields = payment_fields(conversation)
    succeeded_at = datetime.now(UTC) - timedelta(minutes=5)
    refunded = PaymentRefunded(**{**fields, "status": "refunded", "amount_refunded": 3000, "updated_at": succeeded_at + timedelta(minutes=1)},
                               refund_id="re_1", refund_amount=3000)
    publish(platform, refunded)  # the refund's event is handled first (a retried or a parallel delivery)
    wait_for_bodies(platform, a, conversation["id"], ["↩️ The payment of $30.00 for Website was fully refunded."])
    publish(platform, PaymentSucceeded(**{**fields, "updated_at": succeeded_at}, succeeded_at=succeeded_at))
    expected = ["↩️ The payment of $30.00 for Website was fully refunded.", "✅ Payment of $30.00 for Website succeeded."]
    assert wait_for_bodies(platform, b, conversation["id"], expected) == expected
    receipts = system_messages(platform, b, conversation["id"])
    assert datetime.fromisoformat(receipts[1]["created_at"]) == succeeded_at


def test_a_failed_payment_posts_a_receipt_and_shows_a_hidden_conversation_again(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b, title="Logo design")
    assert httpx.post(platform.gateway_url + f"/v1/conversations/{conversation['id']}/hide", headers=platform.headers(a)).status_code == 204
    publish(platform, PaymentFailed(**payment_fields(conversation, status="failed"), failure_code="card_declined"))
    expected = ["❌ Payment of $30.00 for Logo design failed."]
    assert wait_for_bodies(platform, a, conversation["id"], expected) == expected
    assert conversation["id"] in listed_ids(platform, a)


def test_receipts_without_a_project_and_without_a_conversation(platform):
    a, b = user(), user()
    conversation = open_conversation(platform, a, b)
    elsewhere = open_conversation(platform, a, b)
    # No conversation: nothing anywhere. Then one without a project, into `conversation`.
    publish(platform, PaymentSucceeded(**payment_fields(elsewhere, conversation_id=None), succeeded_at=datetime.now(UTC)))
    publish(platform, PaymentSucceeded(**payment_fields(conversation), succeeded_at=datetime.now(UTC)))
    expected = ["✅ Payment of $30.00 for this conversation succeeded."]
    assert wait_for_bodies(platform, a, conversation["id"], expected) == expected
    assert system_messages(platform, a, elsewhere["id"]) == []
