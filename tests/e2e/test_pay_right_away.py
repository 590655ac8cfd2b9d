"""Paying on the request right after a conversation is made, or to a member just added to a
project: billing's copy of the membership has not caught up, so billing asks messaging.

The platform here runs billing with its event consumer off, so billing's copy never catches up
and every answer below depends on messaging's internal read."""

from __future__ import annotations

import uuid

import httpx
import pytest

from settle_testing.platform import start_platform

from support import PROBLEM


@pytest.fixture(scope="module")
def deaf_billing():
    running = start_platform({"BILLING_RUN_CONSUMER": "false"})
    yield running
    running.stop()


def someone(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


def post(platform, user: str, path: str, body: dict, key: str | None = None) -> httpx.Response:
    headers = {**platform.headers(user), **({"Idempotency-Key": key} if key else {})}
    return httpx.post(platform.gateway_url + path, json=body, headers=headers, timeout=30)


def pay(platform, payer: str, body: dict) -> httpx.Response:
    return post(platform, payer, "/v1/payments", {"amount": 3000, "currency": "usd", **body}, key=str(uuid.uuid4()))


def test_paying_on_the_next_request_after_the_conversation_is_made(deaf_billing):
    platform = deaf_billing
    alice, bob, mallory = someone("alice"), someone("bob"), someone("mallory")
    project = post(platform, alice, "/v1/projects", {"title": "Logo"}).json()
    assert post(platform, alice, f"/v1/projects/{project['id']}/members", {"user_id": bob}).status_code == 204
    conversation = post(platform, alice, "/v1/conversations", {"participant_ids": [bob], "project_id": project["id"]})
    assert conversation.status_code == 201, conversation.text
    in_conversation = {"payee_id": bob, "project_id": project["id"], "conversation_id": conversation.json()["id"]}

    paid = pay(platform, alice, in_conversation)
    assert paid.status_code == 201, paid.text
    assert (paid.json()["payer_id"], paid.json()["payee_id"], paid.json()["status"]) == (alice, bob, "requires_payment")
    # The answer was kept: the next payment needs no new question, and says the same.
    assert pay(platform, bob, {**in_conversation, "payee_id": alice}).status_code == 201

    # A stranger to the conversation still finds nothing, and the conversation's people stay
    # checked: the project must be the conversation's own.
    refused = pay(platform, mallory, {**in_conversation, "payee_id": alice})
    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "conversation_not_found"
    other = post(platform, alice, "/v1/projects", {"title": "Other"}).json()
    wrong_project = pay(platform, alice, {**in_conversation, "project_id": other["id"]})
    assert wrong_project.status_code == 422 and wrong_project.json()["code"] == "conversation_not_in_project"
    # A conversation nobody made.
    missing = pay(platform, alice, {**in_conversation, "conversation_id": "conv_doesnotexist"})
    assert missing.status_code == 404 and missing.json()["code"] == "conversation_not_found"
    # Ids that cannot be messaging's are not asked about (nor break the question's URL).
    for odd in ("../members", "conv?x=1", "c\u007f\u00e9"):
        refused = pay(platform, alice, {**in_conversation, "conversation_id": odd})
        assert refused.status_code == 404 and refused.json()["code"] == "conversation_not_found", refused.text
        refused = pay(platform, alice, {"payee_id": bob, "project_id": odd})
        assert refused.status_code == 404 and refused.json()["code"] == "project_not_found", refused.text


def test_paying_a_member_just_added_to_the_project(deaf_billing):
    platform = deaf_billing
    owner, carol, dave, mallory = someone("owner"), someone("carol"), someone("dave"), someone("mallory")
    project = post(platform, owner, "/v1/projects", {"title": "Site"}).json()
    assert post(platform, owner, f"/v1/projects/{project['id']}/members", {"user_id": carol}).status_code == 204

    paid = pay(platform, owner, {"payee_id": carol, "project_id": project["id"]})
    assert paid.status_code == 201, paid.text
    assert paid.json()["payee_id"] == carol

    # Added after billing last asked: asked again, since the copy lacks them.
    assert post(platform, owner, f"/v1/projects/{project['id']}/members", {"user_id": dave}).status_code == 204
    assert pay(platform, owner, {"payee_id": dave, "project_id": project["id"]}).status_code == 201
    assert pay(platform, dave, {"payee_id": carol, "project_id": project["id"]}).status_code == 201

    refused = pay(platform, mallory, {"payee_id": owner, "project_id": project["id"]})
    assert refused.status_code == 404 and refused.json()["code"] == "project_not_found"
    outsider = pay(platform, owner, {"payee_id": mallory, "project_id": project["id"]})
    assert outsider.status_code == 422 and outsider.json()["code"] == "payee_not_member"


def test_the_membership_read_is_internal(deaf_billing):
    """Only services ask it, and the gateway does not route it."""
    platform = deaf_billing
    messaging = platform.service_urls["messaging"]
    user = someone("user")
    project = post(platform, user, "/v1/projects", {"title": "Mine"}).json()
    path = f"/internal/projects/{project['id']}/members"
    assert httpx.get(messaging + path, headers=platform.headers(user)).status_code == 403
    assert httpx.get(messaging + path).status_code == 401
    as_service = httpx.get(messaging + path, headers=platform.headers("billing", "service"))
    assert as_service.status_code == 200 and as_service.json() == {"project_id": project["id"], "member_ids": [user]}
    assert httpx.get(platform.gateway_url + path, headers=platform.headers("billing", "service")).status_code == 404
    document = httpx.get(platform.gateway_url + "/openapi.json").json()
    assert not [p for p in document["paths"] if p.startswith("/internal")]


def test_when_messaging_cannot_be_asked_the_payment_is_a_503_to_retry(deaf_billing):
    platform = deaf_billing
    alice, bob = someone("alice"), someone("bob")
    project = post(platform, alice, "/v1/projects", {"title": "Later"}).json()
    assert post(platform, alice, f"/v1/projects/{project['id']}/members", {"user_id": bob}).status_code == 204
    body = {"payee_id": bob, "project_id": project["id"], "amount": 3000, "currency": "usd"}
    key = str(uuid.uuid4())
    platform.stop_process("messaging")
    try:
        refused = post(platform, alice, "/v1/payments", body, key=key)
        assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM, refused.text
        assert refused.json()["code"] == "membership_unavailable" and int(refused.headers["Retry-After"]) >= 1
    finally:
        platform.start_process("messaging", "messaging")
        platform.wait_ready(platform.gateway_url)
    # The same request again, once messaging answers: the payment is made, once.
    retried = post(platform, alice, "/v1/payments", body, key=key)
    assert retried.status_code == 201, retried.text
    again = post(platform, alice, "/v1/payments", body, key=key)
    assert again.json()["id"] == retried.json()["id"]
