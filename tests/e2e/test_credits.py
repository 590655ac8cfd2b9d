"""Prepaid credits through the gateway, with the Stripe simulator answering the official SDK and
delivering signed webhooks back to the platform."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal

import httpx
import stripe

from support import PROBLEM, eventually
from test_payments import signed_post, stripe_client


def buy(platform, user: str, package_id: str) -> dict:
    response = httpx.post(
        platform.gateway_url + "/v1/credit-purchases",
        json={"package_id": package_id},
        headers={**platform.headers(user), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    return response.json()


def intent_id(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


def pay(platform, purchase: dict, card: str = "pm_card_visa") -> None:
    stripe_client(platform).v1.payment_intents.confirm(intent_id(purchase["client_secret"]), params={"payment_method": card})


def balance(platform, user: str) -> str:
    return httpx.get(platform.gateway_url + "/v1/balance", headers=platform.headers(user)).json()["credits"]


def wait_balance(platform, user: str, expected: str) -> str:
    return eventually(lambda: balance(platform, user) == expected and expected) or balance(platform, user)


def entries(platform, user: str) -> list[dict]:
    page = httpx.get(platform.gateway_url + "/v1/balance/transactions", params={"limit": 100}, headers=platform.headers(user)).json()
    return page["data"]


def purchase_of(platform, user: str, purchase_id: str) -> httpx.Response:
    return httpx.get(platform.gateway_url + f"/v1/credit-purchases/{purchase_id}", headers=platform.headers(user))


def adjust(platform, user: str, amount: str) -> httpx.Response:
    return httpx.post(
        platform.gateway_url + "/v1/admin/balance-adjustments",
        json={"user_id": user, "amount": amount, "description": "test float"},
        headers=platform.headers("ops", "admin"),
    )


def debit(platform, user: str, amount: str, reference: str, *, caller=("shop", "service"), key: str | None = None) -> httpx.Response:
    headers = platform.headers(*caller)
    if key:
        headers["Idempotency-Key"] = key
    return httpx.post(
        platform.gateway_url + "/v1/balance/debits",
        json={"user_id": user, "amount": amount, "description": "usage", "reference_type": "usage", "reference_id": reference},
        headers=headers,
    )


def user() -> str:
    return f"u_{uuid.uuid4().hex[:10]}"


def test_buying_medium_lands_fifteen_credits_that_only_the_buyer_sees(platform):
    gw, cleo, dan = platform.gateway_url, user(), user()
    listed = httpx.get(gw + "/v1/credit-packages", headers=platform.headers(cleo)).json()["data"]
    seeded = [p for p in listed if p["id"] in ("cpk_small", "cpk_medium", "cpk_large")]
    assert [(p["name"], p["price"], p["credits"]) for p in seeded] == [
        ("Small", {"amount": 500, "currency": "usd"}, "5.000000"),
        ("Medium", {"amount": 1500, "currency": "usd"}, "15.000000"),
        ("Large", {"amount": 3000, "currency": "usd"}, "30.000000"),
    ]
    medium = next(p for p in listed if p["name"] == "Medium")

    purchase = buy(platform, cleo, medium["id"])
    assert (purchase["status"], purchase["price"], purchase["credits"]) == ("requires_payment", medium["price"], "15.000000")
    assert purchase["client_secret"]
    assert balance(platform, cleo) == "0.000000"  # nothing before the money is captured

    pay(platform, purchase)
    assert wait_balance(platform, cleo, "15.000000") == "15.000000"
    [entry] = entries(platform, cleo)
    assert (entry["type"], entry["amount"], entry["balance_before"], entry["balance_after"]) == ("credit", "15.000000", "0.000000", "15.000000")
    assert (entry["reference_type"], entry["reference_id"]) == ("credit_purchase", purchase["id"])
    assert purchase_of(platform, cleo, purchase["id"]).json()["status"] == "succeeded"
    listed = httpx.get(gw + "/v1/credit-purchases", headers=platform.headers(cleo)).json()["data"]
    assert [(p["id"], p["status"], p["client_secret"]) for p in listed] == [(purchase["id"], "succeeded", purchase["client_secret"])]

    # Dan sees none of it: the purchase is not found, his wallet is his own and empty.
    other = purchase_of(platform, dan, purchase["id"])
    assert other.status_code == 404 and other.headers["content-type"].startswith(PROBLEM)
    assert balance(platform, dan) == "0.000000" and entries(platform, dan) == []
    assert httpx.get(gw + "/v1/credit-purchases", headers=platform.headers(dan)).json()["data"] == []
    assert httpx.get(gw + "/v1/balance", params={"user_id": cleo}, headers=platform.headers(dan)).status_code == 403
    assert httpx.get(gw + "/v1/balance", params={"user_id": cleo}, headers=platform.headers("ops", "admin")).json()["credits"] == "15.000000"


def test_a_duplicated_and_a_late_succeeded_event_grant_once(platform):
    buyer = user()
    purchase = buy(platform, buyer, "cpk_small")
    pay(platform, purchase)
    assert wait_balance(platform, buyer, "5.000000") == "5.000000"

    client = stripe_client(platform)
    succeeded = next(
        e for e in client.v1.events.list(params={"type": "payment_intent.succeeded", "limit": 100}).data
        if e.data.object.id == intent_id(purchase["client_secret"])
    ).to_dict()
    for _ in range(3):  # the same event again
        assert signed_post(platform, succeeded).status_code == 200
    # ...and the same news as another event, late: after the buyer already spent some.
    assert debit(platform, buyer, "2", f"late-{buyer}").status_code == 201
    late = {**succeeded, "id": f"evt_late_{uuid.uuid4().hex[:12]}", "created": succeeded["created"] + 60}
    assert signed_post(platform, late).status_code == 200

    time.sleep(1.5)  # let billing process what it stored; nothing may be granted again meanwhile
    assert balance(platform, buyer) == "3.000000"
    assert [e["type"] for e in entries(platform, buyer)] == ["debit", "credit"]


def test_a_declined_card_grants_nothing(platform):
    buyer = user()
    purchase = buy(platform, buyer, "cpk_large")
    try:
        pay(platform, purchase, card="pm_card_chargeDeclined")
    except stripe.CardError:
        pass
    assert eventually(lambda: purchase_of(platform, buyer, purchase["id"]).json()["status"] == "failed")
    time.sleep(0.5)
    assert balance(platform, buyer) == "0.000000" and entries(platform, buyer) == []


def test_a_canceled_purchase_grants_nothing(platform):
    buyer = user()
    purchase = buy(platform, buyer, "cpk_medium")
    stripe_client(platform).v1.payment_intents.cancel(intent_id(purchase["client_secret"]))
    assert eventually(lambda: purchase_of(platform, buyer, purchase["id"]).json()["status"] == "canceled")
    time.sleep(0.5)
    assert balance(platform, buyer) == "0.000000" and entries(platform, buyer) == []


def test_fifty_concurrent_debits_of_one_credit_against_thirty(platform):
    spender = user()
    assert adjust(platform, spender, "30").status_code == 201

    async def hammer() -> list[int]:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as client:
            headers = platform.headers("shop", "service")

            async def one(i: int) -> int:
                response = await client.post(
                    "/v1/balance/debits",
                    json={"user_id": spender, "amount": "1", "description": "usage", "reference_type": "usage", "reference_id": f"{spender}-{i}"},
                    headers={**headers, "Idempotency-Key": f"{spender}-{i}"},
                )
                if response.status_code == 402:
                    assert response.json()["code"] == "insufficient_credits"
                return response.status_code

            return await asyncio.gather(*(one(i) for i in range(50)))

    codes = asyncio.run(hammer())
    assert (codes.count(201), codes.count(402)) == (30, 20)
    assert balance(platform, spender) == "0.000000"
    ledger = entries(platform, spender)
    assert len(ledger) == 31
    assert sum(Decimal(e["amount"]) for e in ledger) == 0
    # Each entry starts where the one before it ended: no lost update.
    chain = sorted(ledger, key=lambda e: Decimal(e["balance_after"]), reverse=True)
    assert all(Decimal(e["balance_after"]) == Decimal(e["balance_before"]) + Decimal(e["amount"]) for e in ledger)
    assert [Decimal(e["balance_after"]) for e in chain] == [Decimal(n) for n in range(30, -1, -1)]


def test_debits_are_idempotent_on_their_key_and_their_reference(platform):
    spender = user()
    adjust(platform, spender, "10.5")
    first = debit(platform, spender, "2.25", "order-1", key="k1")
    assert first.status_code == 201, first.text
    assert (first.json()["amount"], first.json()["balance_after"]) == ("-2.250000", "8.250000")
    replay = debit(platform, spender, "2.25", "order-1", key="k1")
    assert replay.json() == first.json()
    same_reference = debit(platform, spender, "2.25", "order-1", key="k2")
    assert same_reference.status_code == 201 and same_reference.json()["id"] == first.json()["id"]
    conflict = debit(platform, spender, "3", "order-1", key="k3")
    assert conflict.status_code == 409 and conflict.json()["code"] == "debit_reference_conflict"
    reused = debit(platform, spender, "1", "order-2", key="k1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert balance(platform, spender) == "8.250000"

    short = debit(platform, spender, "9", "order-3")
    assert short.status_code == 402 and short.headers["content-type"].startswith(PROBLEM)
    assert short.json()["code"] == "insufficient_credits"
    assert debit(platform, spender, "1", "order-4", caller=(spender, "user")).status_code == 403
    assert balance(platform, spender) == "8.250000"


def test_bad_credit_amounts_are_refused_naming_the_field(platform):
    spender = user()
    for bad in (1.5, 2, "0", "-1", "1.0000001", "lots"):
        response = debit(platform, spender, bad, f"bad-{bad}")
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "amount"
    negative = adjust(platform, spender, "-1")
    assert negative.status_code == 402 and negative.json()["code"] == "insufficient_credits"
    assert balance(platform, spender) == "0.000000"


def test_refunding_a_purchase_takes_back_only_unspent_credits(platform):
    buyer, admin = user(), platform.headers("ops", "admin")
    purchase = buy(platform, buyer, "cpk_medium")
    pay(platform, purchase)
    wait_balance(platform, buyer, "15.000000")
    assert debit(platform, buyer, "5", f"spend-{buyer}").status_code == 201

    url = platform.gateway_url + f"/v1/credit-purchases/{purchase['id']}/refunds"
    assert httpx.post(url, json={}, headers=platform.headers(buyer)).status_code == 403
    refund = httpx.post(url, json={}, headers={**admin, "Idempotency-Key": str(uuid.uuid4())})
    assert refund.status_code == 201, refund.text
    # The default refunds the 10 unspent credits' price and takes them back.
    assert (refund.json()["amount"], refund.json()["credits_clawed_back"]) == (1000, "10.000000")
    assert balance(platform, buyer) == "0.000000"
    assert entries(platform, buyer)[0]["type"] == "refund" and entries(platform, buyer)[0]["amount"] == "-10.000000"

    # Nothing unspent is left: the default refuses; an explicit goodwill refund writes off the rest.
    nothing = httpx.post(url, json={}, headers=admin)
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_refund"
    goodwill = httpx.post(url, json={"amount": 500}, headers=admin)
    assert goodwill.status_code == 201
    assert (goodwill.json()["credits_clawed_back"], goodwill.json()["credits_written_off"]) == ("10.000000", "5.000000")
    assert balance(platform, buyer) == "0.000000"

    stripe_refunds = stripe_client(platform).v1.refunds.list(params={"payment_intent": intent_id(purchase["client_secret"])}).data
    assert sorted(r.amount for r in stripe_refunds) == [500, 1000]
    assert eventually(lambda: purchase_of(platform, buyer, purchase["id"]).json()["status"] == "refunded")
    payment = httpx.get(platform.gateway_url + f"/v1/payments/{purchase['payment_id']}", headers=admin).json()
    assert (payment["status"], payment["amount_refunded"], payment["purpose"]) == ("refunded", 1500, "credit_purchase")


def test_admins_manage_packages_and_users_see_only_active_ones(platform):
    gw, admin = platform.gateway_url, platform.headers("ops", "admin")
    body = {"name": "Huge", "description": "for teams", "price": {"amount": 9000, "currency": "usd"}, "credits": "100", "sort_order": 9}
    assert httpx.post(gw + "/v1/admin/credit-packages", json=body, headers=platform.headers("eve")).status_code == 403
    created = httpx.post(gw + "/v1/admin/credit-packages", json=body, headers=admin)
    assert created.status_code == 201, created.text
    package = created.json()
    assert (package["credits"], package["is_active"], package["price"]) == ("100.000000", True, body["price"])
    visible = [p["id"] for p in httpx.get(gw + "/v1/credit-packages", headers=platform.headers("eve")).json()["data"]]
    assert package["id"] in visible

    patched = httpx.patch(gw + f"/v1/admin/credit-packages/{package['id']}", json={"is_active": False, "credits": "120.5"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["credits"] == "120.500000"
    visible = [p["id"] for p in httpx.get(gw + "/v1/credit-packages", headers=platform.headers("eve")).json()["data"]]
    assert package["id"] not in visible
    retired = httpx.post(gw + "/v1/credit-purchases", json={"package_id": package["id"]}, headers=platform.headers("eve"))
    assert retired.status_code == 422 and retired.json()["errors"][0]["field"] == "package_id"

    for field, value in (("price", {"amount": 12.5, "currency": "usd"}), ("credits", 10.5), ("credits", "0"), ("name", "")):
        bad = httpx.post(gw + "/v1/admin/credit-packages", json={**body, field: value}, headers=admin)
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["errors"][0]["field"].startswith(field)
    missing = httpx.patch(gw + "/v1/admin/credit-packages/cpk_nope", json={"is_active": False}, headers=admin)
    assert missing.status_code == 404


def test_a_package_priced_below_stripes_minimum_charge_is_refused_naming_price(platform):
    gw, admin = platform.gateway_url, platform.headers("ops", "admin")
    too_cheap = httpx.post(
        gw + "/v1/admin/credit-packages", json={"name": "Tiny", "price": {"amount": 49, "currency": "usd"}, "credits": "1"}, headers=admin
    )
    assert too_cheap.status_code == 422, too_cheap.text
    assert too_cheap.json()["errors"][0]["field"] == "price"
    yen = httpx.post(gw + "/v1/admin/credit-packages", json={"name": "Yen", "price": {"amount": 50, "currency": "jpy"}, "credits": "1"}, headers=admin)
    assert yen.status_code == 201, yen.text
    patched = httpx.patch(gw + f"/v1/admin/credit-packages/{yen.json()['id']}", json={"price": {"amount": 29, "currency": "gbp"}}, headers=admin)
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "price"
    assert httpx.get(gw + "/v1/admin/credit-packages", headers=admin).json()["data"][-1]["price"] != {"amount": 29, "currency": "gbp"}
