"""Pay-per-view messages end to end, through the gateway: attachments held in a local S3 server
(moto's server mode, spoken to by boto3), bought by card on the Stripe simulator's hosted page or
by credits, unlocked live over Server-Sent Events, refunds revoking access, the seller paid by the
payout run that pays experts."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import threading
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from messaging.attachments import links
from settle_testing.platform import free_port, start_platform
from support import PROBLEM, eventually
from test_bookings import become_expert, onboarded, run_payouts
from test_payments import signed_post, stripe_client

BUCKET = "settle-attachments"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + secrets.token_bytes(2048)
PRICE = {"amount": 400, "currency": "usd"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("final/logo.svg", "<svg/>" * 500)
    return buffer.getvalue()


ZIP = _zip()


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    env = {"MESSAGING_S3_ACCESS_KEY_ID": "testing", "MESSAGING_S3_SECRET_ACCESS_KEY": "testing"}
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    yield {**env, "MESSAGING_S3_BUCKET": BUCKET, "MESSAGING_S3_ENDPOINT_URL": endpoint}, client
    server.stop()


@pytest.fixture(scope="module")
def platform(s3):
    env, _ = s3
    running = start_platform({**env, "MESSAGING_DOWNLOAD_SECRET": "e2e-" + secrets.token_hex(16), "BOOKINGS_PLATFORM_FEE_BPS": "1250"})
    yield running
    running.stop()


def someone(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def api(platform, method: str, path: str, user: str, role: str = "user", **kwargs) -> httpx.Response:
    return httpx.request(method, platform.gateway_url + path, headers={**platform.headers(user, role), **kwargs.pop("headers", {})},
                         timeout=30, **kwargs)


def upload(platform, user: str, name: str, data: bytes, content_type: str) -> httpx.Response:
    return api(platform, "POST", "/v1/attachments", user, files={"file": (name, data, content_type)})


def conversation(platform, *users: str) -> dict:
    created = api(platform, "POST", "/v1/conversations", users[0], json={"participant_ids": list(users[1:])})
    assert created.status_code == 201, created.text
    return created.json()


def buy(platform, buyer: str, message_id: str, method: str, key: str | None = None) -> httpx.Response:
    return api(platform, "POST", f"/v1/messages/{message_id}/purchase", buyer, json={"method": method},
               headers={"Idempotency-Key": key or str(uuid.uuid4())})


def attachments_of(platform, user: str, message_id: str) -> httpx.Response:
    return api(platform, "GET", f"/v1/messages/{message_id}/attachments", user)


def purchase(platform, user: str, purchase_id: str) -> dict:
    return api(platform, "GET", f"/v1/message-purchases/{purchase_id}", user).json()


def balance(platform, user: str) -> str:
    return api(platform, "GET", "/v1/balance", user).json()["credits"]


class Stream:
    """A participant following a conversation's Server-Sent Events in a thread, as a browser's
    EventSource does (Last-Event-ID on a reconnect)."""

    def __init__(self, platform, user: str, conversation_id: str, last_event_id: str | None = None) -> None:
        self.events: list[dict] = []
        self._stop = threading.Event()
        headers = {**platform.headers(user), "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._response = httpx.Client(timeout=httpx.Timeout(30, read=None)).send(
            httpx.Client().build_request("GET", platform.gateway_url + f"/v1/conversations/{conversation_id}/events", headers=headers),
            stream=True,
        )
        assert self._response.status_code == 200, self._response.read()
        assert self._response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event: dict = {}
        try:
            for line in self._response.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if "data" in event:
                        self.events.append({**event, "data": json.loads(event["data"])})
                    event = {}
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    event[field] = value.lstrip(" ")
        except httpx.HTTPError:
            pass

    def of(self, type_: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == type_]

    def close(self) -> None:
        self._stop.set()
        self._response.close()


def altered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&"))
    path = parts.path
    if "attachment_id" in changes:
        path = path.rsplit("/", 1)[0] + "/" + changes.pop("attachment_id")
    query.update(changes)
    return urlunsplit(parts._replace(path=path, query="&".join(f"{k}={v}" for k, v in query.items())))


def test_a_paid_message_bought_by_card_and_by_credits_unlocked_live_refunded_and_its_seller_paid_once(platform, s3):
    _, bucket = s3
    seller, card_buyer, credits_buyer, stranger = someone("sam"), someone("bea"), someone("cid"), someone("mal")
    talk = conversation(platform, seller, card_buyer, credits_buyer)

    # Two files, held by the platform (in the S3 bucket), typed by their bytes.
    png = upload(platform, seller, "../../preview.png", PNG, "image/png")
    archive = upload(platform, seller, "final.zip", ZIP, "application/zip")
    assert png.status_code == 201 and archive.status_code == 201, (png.text, archive.text)
    assert png.json()["name"] == "preview.png" and png.json()["size"] == len(PNG)
    assert png.json()["sha256"] == hashlib.sha256(PNG).hexdigest() and archive.json()["content_type"] == "application/zip"
    assert len(bucket.list_objects_v2(Bucket=BUCKET)["Contents"]) >= 2

    buyer_stream = Stream(platform, card_buyer, talk["id"])
    seller_stream = Stream(platform, seller, talk["id"])  # the same conversation, followed by one poller
    sent = api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", seller,
               json={"body": "The final logo files", "attachment_ids": [png.json()["id"], archive.json()["id"]], "price": PRICE})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert (message["kind"], message["unlocked"], message["attachment_count"], len(message["attachments"])) == ("paid", True, 2, 2)

    # The buyer sees its text and price, live too, but not its attachments.
    seen = next(m for m in api(platform, "GET", f"/v1/conversations/{talk['id']}/messages", card_buyer).json()["data"] if m["id"] == message["id"])
    assert (seen["body"], seen["price"], seen["attachments"], seen["attachment_count"], seen["unlocked"]) == (
        "The final logo files", PRICE, [], 2, False)
    assert eventually(lambda: buyer_stream.of("message.created"))
    assert buyer_stream.of("message.created")[0]["data"]["attachments"] == []
    locked = attachments_of(platform, card_buyer, message["id"])
    assert (locked.status_code, locked.headers["content-type"], locked.json()["code"]) == (402, PROBLEM, "payment_required")
    assert attachments_of(platform, stranger, message["id"]).status_code == 404
    assert buy(platform, stranger, message["id"], "card").status_code == 404
    assert buy(platform, seller, message["id"], "card").status_code == 403

    # By card on Stripe's hosted page: the unlock arrives over the stream.
    opened = buy(platform, card_buyer, message["id"], "card")
    assert opened.status_code == 201, opened.text
    bought = opened.json()
    assert bought["status"] == "pending" and bought["price"] == PRICE and "/checkout/cs_" in bought["checkout_url"]
    assert purchase(platform, seller, bought["id"])["checkout_url"] is None  # the page is the buyer's
    again = buy(platform, card_buyer, message["id"], "card")
    assert (again.status_code, again.json()["id"], again.json()["checkout_url"]) == (201, bought["id"], bought["checkout_url"])
    paid_page = httpx.post(bought["checkout_url"], data={
        "email": "bea@example.com", "cardNumber": "4242 4242 4242 4242", "cardExpiry": "12 / 34", "cardCvc": "123", "billingName": "Bea",
    }, timeout=15)
    assert paid_page.status_code in (200, 302, 303), paid_page.text
    assert eventually(lambda: buyer_stream.of("message.unlocked"), timeout=30), buyer_stream.events
    unlocked = buyer_stream.of("message.unlocked")[0]["data"]
    assert unlocked["id"] == message["id"] and unlocked["unlocked"] is True and len(unlocked["attachments"]) == 2
    done = purchase(platform, card_buyer, bought["id"])
    assert done["status"] == "completed" and done["payment_id"] and done["completed_at"]
    assert api(platform, "GET", f"/v1/message-purchases/{bought['id']}", stranger).status_code == 404

    # The files download through their links, byte for byte.
    listed = attachments_of(platform, card_buyer, message["id"])
    assert listed.status_code == 200, listed.text
    files = listed.json()["data"]
    assert [f["name"] for f in files] == ["preview.png", "final.zip"]
    for item, data in zip(files, (PNG, ZIP), strict=True):
        assert datetime.fromisoformat(item["expires_at"]) <= datetime.now(UTC) + timedelta(minutes=5, seconds=5)
        got = httpx.get(item["download_url"])  # no token: the link is the permission
        assert got.status_code == 200 and got.content == data and got.headers["content-type"] == item["content_type"]
    # An altered or expired link is refused.
    link = files[0]["download_url"]
    assert httpx.get(altered(link, attachment_id=files[1]["id"])).status_code == 403
    assert httpx.get(altered(link, expires=str(int(datetime.now(UTC).timestamp()) + 3600))).status_code == 403
    expired, _ = links.sign(platform.env["MESSAGING_DOWNLOAD_SECRET"], platform.gateway_url, files[0]["id"],
                            datetime.now(UTC) - timedelta(minutes=10), 300)
    refused = httpx.get(expired)
    assert (refused.status_code, refused.json()["code"]) == (403, "link_expired")

    # Never twice: bought already.
    twice = buy(platform, card_buyer, message["id"], "card")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_unlocked")

    # Stripe repeats and reorders its events: replayed newest first, twice, nothing changes.
    client = stripe_client(platform)
    ours = [e for e in client.v1.events.list(params={"limit": 100}).data
            if (e.data.object.to_dict().get("metadata") or {}).get("reference_id") == bought["id"]]
    assert {e.type for e in ours} >= {"checkout.session.completed", "payment_intent.succeeded"}
    for event in reversed(ours * 2):
        assert signed_post(platform, event.to_dict()).status_code == 200

    # Another buyer pays with credits, at once.
    grant = api(platform, "POST", "/v1/admin/balance-adjustments", "ops", "admin",
                json={"user_id": credits_buyer, "amount": "10.000000", "description": "float"})
    assert grant.status_code == 201, grant.text
    by_credits = buy(platform, credits_buyer, message["id"], "credits")
    assert by_credits.status_code == 201, by_credits.text
    assert by_credits.json()["status"] == "completed" and by_credits.json()["method"] == "credits"
    assert balance(platform, credits_buyer) == "6.000000"
    assert attachments_of(platform, credits_buyer, message["id"]).status_code == 200
    assert buy(platform, credits_buyer, message["id"], "credits").json()["code"] == "already_unlocked"

    # One unlock each, however often Stripe spoke.
    assert len(buyer_stream.of("message.unlocked")) == 1
    sales = api(platform, "GET", "/v1/message-purchases", seller, params={"as": "seller"}).json()["data"]
    assert sorted((s["buyer_id"], s["status"]) for s in sales) == sorted([(card_buyer, "completed"), (credits_buyer, "completed")])

    # The seller refunds the credits purchase: that buyer loses access and gets the credits back.
    refunded = api(platform, "POST", f"/v1/message-purchases/{by_credits.json()['id']}/refunds", seller)
    assert refunded.status_code == 201, refunded.text
    assert attachments_of(platform, credits_buyer, message["id"]).status_code == 402
    assert balance(platform, credits_buyer) == "10.000000"
    assert purchase(platform, credits_buyer, by_credits.json()["id"])["status"] == "refunded"
    assert api(platform, "POST", f"/v1/message-purchases/{bought['id']}/refunds", card_buyer).status_code == 403

    # The seller is paid by the payout run that pays experts: $4.00 less 12.5 %, once.
    become_expert(platform, seller)
    account_id = onboarded(platform, seller)
    admin = platform.headers("ops", "admin")

    def rows(status: str) -> list[dict]:
        data = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": status}, headers=admin).json()["data"]
        return [r for r in data if r["payee_id"] == seller]

    assert eventually(lambda: rows("pending"))
    assert [(r["amount"], r["sources"], r["booking_ids"]) for r in rows("pending")] == [
        (350, [{"type": "message_sale", "id": bought["id"]}], [])]
    first = run_payouts(platform)
    assert [(p["payee_id"], p["amount"], p["status"]) for p in first["paid"] if p["source"]["id"] == bought["id"]] == [(seller, 350, "paid")], first
    for _ in range(2):
        assert bought["id"] not in [p["source"]["id"] for p in run_payouts(platform)["paid"]]
    transfers = stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data
    assert [(t.amount, t.currency, t.transfer_group) for t in transfers] == [(350, "usd", bought["id"])]
    assert [(r["amount"], r["status"]) for r in rows("paid")] == [(350, "paid")]

    # Refunded in Stripe's dashboard: the buyer loses access, live, and the seller's share comes back.
    intent = api(platform, "GET", f"/v1/payments/{done['payment_id']}", seller).json()["stripe_payment_intent_id"]
    stripe_client(platform).v1.refunds.create(params={"payment_intent": intent})
    assert eventually(lambda: attachments_of(platform, card_buyer, message["id"]).status_code == 402, timeout=30)
    assert eventually(lambda: buyer_stream.of("message.updated"))
    assert buyer_stream.of("message.updated")[-1]["data"]["unlocked"] is False
    assert purchase(platform, card_buyer, bought["id"])["status"] == "refunded"
    assert eventually(lambda: [r["amount_reversed"] for r in rows("paid")] == [350], timeout=30), rows("paid")
    buyer_stream.close()
    # The seller saw the message go out, and nobody's unlock or revocation but their own is shown to anyone.
    seller_stream.close()
    assert [e["data"]["id"] for e in seller_stream.of("message.created")] == [message["id"]]
    assert seller_stream.of("message.created")[0]["data"]["attachment_count"] == 2
    assert seller_stream.of("message.unlocked") == [] and seller_stream.of("message.updated") == []


def paid_message(platform, seller: str, talk: dict, price: dict = PRICE) -> dict:
    held = upload(platform, seller, "preview.png", PNG, "image/png")
    assert held.status_code == 201, held.text
    sent = api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", seller,
               json={"body": "teaser", "attachment_ids": [held.json()["id"]], "price": price})
    assert sent.status_code == 201, sent.text
    return sent.json()


def test_a_reconnect_with_last_event_id_resumes_without_gaps(platform):
    a, b = someone("ann"), someone("bob")
    talk = conversation(platform, a, b)
    first = Stream(platform, b, talk["id"])
    for i in range(3):
        assert api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", a, json={"body": f"m{i}"}).status_code == 201
    assert eventually(lambda: len(first.of("message.created")) == 3), first.events
    first.close()
    last_id = first.of("message.created")[1]["id"]  # as if the connection broke after the second
    for i in range(3, 5):
        assert api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", a, json={"body": f"m{i}"}).status_code == 201
    resumed = Stream(platform, b, talk["id"], last_event_id=last_id)
    assert eventually(lambda: len(resumed.of("message.created")) == 3), resumed.events
    resumed.close()
    assert [e["data"]["body"] for e in resumed.of("message.created")] == ["m2", "m3", "m4"]
    ids = [int(e["id"]) for e in first.of("message.created")[:2] + resumed.of("message.created")]
    assert ids == list(range(ids[0], ids[0] + 5))
    # Only participants follow a conversation.
    assert api(platform, "GET", f"/v1/conversations/{talk['id']}/events", someone("eve")).status_code == 404
    bad = api(platform, "GET", f"/v1/conversations/{talk['id']}/events", b, headers={"Last-Event-ID": "x"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "Last-Event-ID")


def test_concurrent_purchase_requests_of_one_buyer_make_one_purchase(platform):
    seller, buyer = someone("sol"), someone("bo")
    talk = conversation(platform, seller, buyer)
    message = paid_message(platform, seller, talk)
    results: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: results.append(buy(platform, buyer, message["id"], "card"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [201] * 6, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1 and len({r.json()["checkout_url"] for r in results}) == 1
    assert len(api(platform, "GET", "/v1/message-purchases", buyer).json()["data"]) == 1
    # Asking to pay with credits meanwhile returns the open card purchase, and takes no credits.
    api(platform, "POST", "/v1/admin/balance-adjustments", "ops", "admin",
        json={"user_id": buyer, "amount": "10.000000", "description": "float"}).raise_for_status()
    other_way = buy(platform, buyer, message["id"], "credits")
    assert (other_way.status_code, other_way.json()["id"], other_way.json()["method"]) == (201, results[0].json()["id"], "card")
    assert balance(platform, buyer) == "10.000000"


def test_an_expired_checkout_leaves_the_message_locked_and_it_can_be_bought_again(platform):
    seller, buyer = someone("sid"), someone("bex")
    talk = conversation(platform, seller, buyer)
    message = paid_message(platform, seller, talk)
    first = buy(platform, buyer, message["id"], "card").json()
    stripe_client(platform).v1.checkout.sessions.expire(first["checkout_url"].rsplit("/", 1)[-1])
    assert eventually(lambda: purchase(platform, buyer, first["id"])["status"] == "expired"), purchase(platform, buyer, first["id"])
    assert attachments_of(platform, buyer, message["id"]).status_code == 402
    second = buy(platform, buyer, message["id"], "card").json()
    assert second["id"] != first["id"] and second["status"] == "pending" and second["checkout_url"] != first["checkout_url"]


def test_bad_purchases_and_uploads_are_refused_naming_the_field(platform):
    seller, buyer = someone("sue"), someone("ben")
    talk = conversation(platform, seller, buyer)
    message = paid_message(platform, seller, talk)
    short = buy(platform, buyer, message["id"], "credits")
    assert (short.status_code, short.json()["code"]) == (402, "insufficient_credits")
    assert buy(platform, buyer, message["id"], "credits").json()["code"] == "insufficient_credits"  # still locked, nothing owed
    euro = paid_message(platform, seller, talk, {"amount": 400, "currency": "eur"})
    refused = buy(platform, buyer, euro["id"], "credits")
    assert (refused.status_code, refused.json()["code"], refused.json()["errors"][0]["field"]) == (422, "credits_not_accepted", "method")
    method = api(platform, "POST", f"/v1/messages/{message['id']}/purchase", buyer, json={"method": "cash"})
    assert (method.status_code, method.json()["errors"][0]["field"]) == (422, "method")
    text = api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", seller, json={"body": "free"}).json()
    assert buy(platform, buyer, text["id"], "card").json()["code"] == "not_for_sale"

    fake = upload(platform, seller, "cat.png", b"%PDF-1.7\n" + bytes(100), "image/png")
    assert (fake.status_code, fake.json()["code"], fake.json()["errors"][0]["field"]) == (422, "content_type_mismatch", "file")
    missing = api(platform, "POST", "/v1/attachments", seller, files={"other": ("a.txt", b"a", "text/plain")})
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "file")
    too_big = upload(platform, seller, "big.bin", bytes(25 * 1024 * 1024 + 1), "application/octet-stream")
    assert too_big.status_code == 413
    theirs = upload(platform, buyer, "mine.txt", b"mine", "text/plain").json()
    stolen = api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", seller,
                 json={"body": "x", "attachment_ids": [theirs["id"]], "price": PRICE})
    assert (stolen.status_code, stolen.json()["code"]) == (422, "attachment_unavailable")


def test_a_sale_paid_in_credits_is_paid_out_from_the_balance_and_taken_back_when_refunded(platform):
    seller, buyer = someone("sia"), someone("bud")
    talk = conversation(platform, seller, buyer)
    message = paid_message(platform, seller, talk)
    become_expert(platform, seller)
    account_id = onboarded(platform, seller)
    api(platform, "POST", "/v1/admin/balance-adjustments", "ops", "admin",
        json={"user_id": buyer, "amount": "4.000000", "description": "float"}).raise_for_status()
    sale = buy(platform, buyer, message["id"], "credits").json()
    assert sale["status"] == "completed" and balance(platform, buyer) == "0.000000"

    def paid_to_seller() -> list[dict]:
        return [p for p in run_payouts(platform)["paid"] if p["source"]["id"] == sale["id"]]

    def owed_in_usd() -> int:
        figures = httpx.get(platform.gateway_url + "/v1/admin/metrics", headers=platform.headers("ops", "admin")).json()
        return next((p["amount"] for p in figures["pending_payouts"] if p["currency"] == "usd"), 0)

    assert eventually(lambda: owed_in_usd() >= 350), owed_in_usd()  # counted with the experts' pending payouts
    # The run pays it once the sale has reached the payout engine (an event from messaging).
    first: list[dict] = []
    assert eventually(lambda: first.extend(paid_to_seller()) or first, timeout=30)
    assert [(p["amount"], p["status"]) for p in first] == [(350, "paid")]
    client = stripe_client(platform)
    transfers = client.v1.transfers.list(params={"destination": account_id}).data
    assert [(t.amount, t.currency, t.transfer_group, getattr(t, "source_transaction", None)) for t in transfers] == [
        (350, "usd", sale["id"], None)]
    assert not paid_to_seller()  # once

    refunded = api(platform, "POST", f"/v1/message-purchases/{sale['id']}/refunds", "ops", "admin")
    assert refunded.status_code == 201, refunded.text
    assert balance(platform, buyer) == "4.000000" and attachments_of(platform, buyer, message["id"]).status_code == 402
    assert eventually(lambda: client.v1.transfers.list(params={"destination": account_id}).data[0].amount_reversed == 350, timeout=30)


def test_a_seller_who_never_became_an_expert_opens_a_payout_account_and_is_paid(platform):
    seller, buyer = someone("sue"), someone("bill")
    talk = conversation(platform, seller, buyer)
    message = paid_message(platform, seller, talk)
    api(platform, "POST", "/v1/admin/balance-adjustments", "ops", "admin",
        json={"user_id": buyer, "amount": "4.000000", "description": "float"}).raise_for_status()
    sale = buy(platform, buyer, message["id"], "credits").json()
    assert sale["status"] == "completed", sale

    def owed() -> list[tuple]:
        rows = api(platform, "GET", "/v1/admin/payouts", "ops", "admin", params={"status": "pending", "limit": 100}).json()["data"]
        return [(r["amount"], r["payouts_enabled"]) for r in rows if r["payee_id"] == seller]

    def paid_to_seller() -> list[tuple]:
        return [(p["payee_id"], p["amount"], p["status"]) for p in run_payouts(platform)["paid"] if p["source"]["id"] == sale["id"]]

    # Owed, but with no account yet the run leaves it waiting.
    assert eventually(owed), "the sale never reached the payout engine"
    assert owed() == [(350, False)] and paid_to_seller() == []

    # No expert profile, yet the seller opens an account and onboards.
    assert api(platform, "GET", f"/v1/experts/{seller}", seller).status_code == 404
    opened = api(platform, "POST", "/v1/payout-accounts", seller)
    assert opened.status_code == 201, opened.text
    account_id = opened.json()["account_id"]
    assert account_id.startswith("acct_") and opened.json()["onboarding_url"] and opened.json()["payouts_enabled"] is False
    assert api(platform, "GET", "/v1/payout-accounts/me", seller).json() == {"account_id": account_id, "payouts_enabled": False}
    stripe_client(platform).raw_request("post", f"/v1/test_helpers/accounts/{account_id}/complete_onboarding")
    assert eventually(lambda: api(platform, "GET", "/v1/payout-accounts/me", seller).json()["payouts_enabled"]), "payouts never enabled"
    assert owed() == [(350, True)]
    assert api(platform, "GET", f"/v1/experts/{seller}", seller).status_code == 404  # still no expert

    # The run pays the sale once, into the seller's account.
    assert paid_to_seller() == [(seller, 350, "paid")]
    assert paid_to_seller() == []
    transfers = stripe_client(platform).v1.transfers.list(params={"destination": account_id}).data
    assert [(t.amount, t.currency, t.transfer_group) for t in transfers] == [(350, "usd", sale["id"])]


def test_a_price_below_stripes_minimum_is_refused_and_a_checkout_lives_thirty_minutes(platform):
    seller, buyer = someone("sal"), someone("bri")
    talk = conversation(platform, seller, buyer)
    held = upload(platform, seller, "a.png", PNG, "image/png").json()
    cheap = api(platform, "POST", f"/v1/conversations/{talk['id']}/messages", seller,
                json={"body": "x", "attachment_ids": [held["id"]], "price": {"amount": 49, "currency": "usd"}})
    assert (cheap.status_code, cheap.json()["code"], cheap.json()["errors"][0]["field"]) == (422, "amount_too_small", "price.amount")
    message = paid_message(platform, seller, talk)
    opened = buy(platform, buyer, message["id"], "card").json()
    session = stripe_client(platform).v1.checkout.sessions.retrieve(opened["checkout_url"].rsplit("/", 1)[-1])
    lifetime = session.expires_at - datetime.fromisoformat(opened["created_at"]).timestamp()
    assert 30 * 60 <= lifetime <= 32 * 60, lifetime
