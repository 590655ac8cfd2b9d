"""The backbone through the gateway: services up, auth enforced everywhere, events flowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from support import PROBLEM
from test_payments import create_payment


def test_the_gateway_is_ready_when_every_service_is(platform):
    response = httpx.get(platform.gateway_url + "/readyz")
    assert response.status_code == 200
    services = response.json()["services"]
    assert set(services) == {"billing", "bookings", "messaging", "notifications"}
    assert response.json()["status"] == "ready"
    for report in services.values():
        assert report["status"] == "ok"
        assert report["checks"]["database"] == report["checks"]["broker"] == "ok"


def test_a_dev_token_opens_the_api(platform):
    minted = httpx.post(platform.gateway_url + "/v1/dev/tokens", json={"user_id": "alice", "role": "user"})
    assert minted.status_code == 201
    token = minted.json()["token"]
    created = httpx.post(
        platform.gateway_url + "/v1/projects", json={"title": "Logo design"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == "alice"
    assert created.json()["member_ids"] == ["alice"]
    assert created.headers["x-request-id"]


def _token(secret: str, **claims) -> str:
    claims.setdefault("sub", "alice")
    claims.setdefault("exp", datetime.now(UTC) + timedelta(minutes=5))
    return jwt.encode(claims, secret, algorithm="HS256")


def _alg_none(sub: str = "alice") -> str:
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    return jwt.encode({"sub": sub, "role": "admin", "exp": exp}, None, algorithm="none")


@pytest.mark.parametrize(
    ("case", "code"),
    [("missing", "missing_token"), ("expired", "token_expired"), ("wrong_key", "invalid_token"), ("alg_none", "invalid_token"), ("no_exp", "invalid_token"), ("bad_sub", "invalid_token"), ("reserved_sub", "invalid_token")],
)
@pytest.mark.parametrize("target", ["gateway", "messaging directly"])
def test_bad_tokens_are_refused_with_401_problems(platform, case, code, target):
    secret = platform.env["JWT_SECRET"]
    tokens = {
        "missing": None,
        "expired": _token(secret, exp=datetime.now(UTC) - timedelta(seconds=5)),
        "wrong_key": _token("not-the-secret-not-the-secret-not-the-secret"),
        "alg_none": _alg_none(),
        "no_exp": jwt.encode({"sub": "alice"}, secret, algorithm="HS256"),
        "bad_sub": _token(secret, sub="alice smith!"),
        "reserved_sub": _token(secret, sub="system"),
    }
    base = platform.gateway_url if target == "gateway" else platform.service_urls["messaging"]
    headers = {"X-User-Id": "alice", "X-Role": "admin"}  # a forged identity is never enough
    if tokens[case]:
        headers["Authorization"] = f"Bearer {tokens[case]}"
    response = httpx.post(base + "/v1/projects", json={"title": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code
    assert response.json()["status"] == 401


def test_bad_input_is_a_422_problem_naming_the_field(platform):
    response = httpx.post(platform.gateway_url + "/v1/projects", json={"title": ""}, headers=platform.headers("alice"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == ["title"]


def test_an_unknown_path_is_a_404_problem(platform):
    response = httpx.get(platform.gateway_url + "/v1/nothing-here", headers=platform.headers("alice"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


def test_messaging_events_reach_billing(platform):
    """Billing authorizes payments from its own copy of messaging's memberships, kept from events:
    once the copy has arrived, Alice can pay Bob in their conversation, and only there."""
    gw, alice = platform.gateway_url, platform.headers("alice")
    project = httpx.post(gw + "/v1/projects", json={"title": "Website"}, headers=alice).json()
    assert httpx.post(gw + f"/v1/projects/{project['id']}/members", json={"user_id": "bob"}, headers=alice).status_code == 204
    conversation = httpx.post(
        gw + "/v1/conversations", json={"participant_ids": ["bob"], "project_id": project["id"]}, headers=alice
    ).json()
    assert conversation["participant_ids"] == ["alice", "bob"]

    body = {"payee_id": "bob", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 500, "currency": "usd"}
    paid = create_payment(platform, "alice", body)  # retried while billing has not heard yet
    assert paid.status_code == 201, paid.text
    outsider = httpx.post(gw + "/v1/payments", json={**body, "payee_id": "dave"}, headers=alice)
    assert outsider.status_code == 422 and outsider.json()["code"] == "payee_not_participant"


def test_a_stranger_cannot_see_a_conversation(platform):
    gw = platform.gateway_url
    conversation = httpx.post(gw + "/v1/conversations", json={"participant_ids": ["bob"]}, headers=platform.headers("alice")).json()
    response = httpx.get(gw + f"/v1/conversations/{conversation['id']}", headers=platform.headers("carol"))
    assert response.status_code == 404
    assert httpx.get(gw + f"/v1/conversations/{conversation['id']}", headers=platform.headers("bob")).status_code == 200


def test_one_openapi_document_covers_the_public_api(platform):
    document = httpx.get(platform.gateway_url + "/openapi.json").json()
    assert {"/v1/projects", "/v1/conversations", "/v1/dev/tokens", "/v1/payments", "/v1/credit-packages", "/v1/credit-purchases",
            "/v1/balance", "/v1/balance/transactions", "/v1/balance/debits", "/v1/admin/credit-packages/{package_id}",
            "/v1/admin/balance-adjustments"} <= set(document["paths"])
    # Credits are strings in the contract, never numbers.
    debit = document["paths"]["/v1/balance/debits"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][debit["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["amount"]["type"] == "string"
    assert "x-missing-services" not in document["info"]
    assert httpx.get(platform.gateway_url + "/docs").status_code == 200
