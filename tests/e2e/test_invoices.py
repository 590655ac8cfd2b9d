"""Invoices and payment links end to end, through the gateway, with the Stripe simulator (official
SDK, hosted checkout page) and the Twilio simulator's message log: a deposit texted and paid, a
final payment, reminders driven by billing's clock (moved, never slept on), duplicated and
reordered Stripe events, an expired session, two links paid at once, refunds, and the refusals."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest

from settle_kit.phones import NotTextable, textable_e164, time_zone
from twilio_sim.control_client import SimulatorControl

from support import PROBLEM, eventually
from test_payments import signed_post, stripe_client

OUR_NUMBER = "+15005550006"
# Mobile prefixes of places whose daytimes cover the day between them: a customer's number is
# picked where it is daytime now, so notifications' quiet hours (real time) never hold a reminder.
PREFIXES = (("+1415555", 4), ("+55119", 8), ("+49151", 8), ("+9198", 8), ("+659", 7), ("+8190", 8), ("+614", 8))


def daytime_mobile() -> str:
    now = datetime.now(UTC)
    for prefix, digits in PREFIXES:
        for _ in range(50):
            number = prefix + "".join(random.choices("0123456789", k=digits))
            try:
                number = textable_e164(number, allow_test_numbers=False)
            except NotTextable:
                continue
            if 10 <= now.astimezone(time_zone(number)).hour < 19:
                return number
            break  # valid, but night there: try the next place
    raise AssertionError("no place in daytime found")


@pytest.fixture
def twilio(platform):
    control = SimulatorControl(platform.twilio_url)
    yield control
    control.close()


@pytest.fixture
def clock(platform):
    """Billing's clock, moved through its development-only endpoint; back to real time after."""

    def move(now: datetime | None = None, advance_s: float | None = None) -> datetime:
        answer = httpx.put(
            f"{platform.service_urls['billing']}/internal/clock", json={"now": now.isoformat() if now else None, "advance_s": advance_s},
            headers=platform.headers("test-clock", "service"),
        )
        assert answer.status_code == 200, answer.text
        return datetime.fromisoformat(answer.json()["now"])

    yield move
    move(datetime.now(UTC))


def api(platform, method: str, path: str, user: str, role: str = "user", **kwargs) -> httpx.Response:
    return httpx.request(method, platform.gateway_url + path, headers={**platform.headers(user, role), **kwargs.pop("headers", {})}, timeout=15, **kwargs)


def issuer_with_phone(platform) -> tuple[str, str]:
    user, phone = f"ivy-{uuid.uuid4().hex[:8]}", daytime_mobile()
    assert api(platform, "PUT", "/v1/me/contact", user, json={"phone": phone}).status_code == 200
    return user, phone


def new_invoice(platform, issuer: str, phone: str, total: int = 50_000, **extra) -> dict:
    body = {"customer": {"name": "Carl", "phone": phone}, "description": "Kitchen remodel", "total": {"amount": total, "currency": "usd"},
            "issuer_name": "Ivy's Renovations", **extra}
    answer = api(platform, "POST", "/v1/invoices", issuer, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.text
    return answer.json()


def new_link(platform, issuer: str, invoice_id: str, **body) -> dict:
    answer = api(platform, "POST", f"/v1/invoices/{invoice_id}/payment-links", issuer, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.text
    return answer.json()


def invoice(platform, issuer: str, invoice_id: str) -> dict:
    return api(platform, "GET", f"/v1/invoices/{invoice_id}", issuer).json()


def wait_invoice(platform, issuer: str, invoice_id: str, check, timeout: float = 30) -> dict:
    found = eventually(lambda: (i := invoice(platform, issuer, invoice_id)) and check(i) and i, timeout=timeout)
    return found or invoice(platform, issuer, invoice_id)


def open_link(url: str) -> httpx.Response:
    """What the customer's phone does with the texted address."""
    return httpx.get(url, follow_redirects=False, timeout=15)


def session_id_of(checkout_url: str) -> str:
    return re.search(r"/checkout/(cs_[A-Za-z0-9_]+)", checkout_url).group(1)


def pay_with_test_helper(platform, checkout_url: str) -> None:
    stripe_client(platform).raw_request("post", f"/v1/test_helpers/checkout/sessions/{session_id_of(checkout_url)}/complete")


def texts_to(twilio, phone: str) -> list[str]:
    return [m["body"] for m in twilio.messages(To=phone)]


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "usd"}


def test_a_deposit_texted_and_paid_then_the_final_payment_and_revenue_for_the_job(platform, twilio):
    issuer, issuer_phone = issuer_with_phone(platform)
    customer = daytime_mobile()
    job = f"job-{uuid.uuid4().hex[:8]}"
    created = new_invoice(platform, issuer, customer, due_date=str(date.today() + timedelta(days=10)), job_id=job)
    assert created["number"] == "INV-0001" and created["status"] == "pending"
    assert (created["paid"], created["remaining"]) == (money(0), money(50_000))

    deposit = new_link(platform, issuer, created["id"], type="deposit", percent=30)
    assert deposit["amount"] == money(15_000) and deposit["url"].startswith(f"{platform.gateway_url}/pay/")
    sent = api(platform, "POST", f"/v1/invoices/{created['id']}/send", issuer, json={"link_id": deposit["id"]})
    assert sent.status_code == 202 and sent.json()["link"]["id"] == deposit["id"]
    wording = f"Hi! Your balance of $150.00 is ready. Pay securely here: {deposit['url']}"
    assert eventually(lambda: wording in texts_to(twilio, customer)), texts_to(twilio, customer)

    # The customer opens the link: our address records it and sends them on to Stripe's page.
    opened = open_link(deposit["url"])
    assert opened.status_code == 302 and "/checkout/cs_" in opened.headers["location"]
    assert invoice(platform, issuer, created["id"])["links"][0]["opened_at"] is not None
    # ... and pays there with a card, as a person would, landing on our thank-you page.
    paid_page = httpx.post(opened.headers["location"], data={
        "email": "carl@example.com", "cardNumber": "4242 4242 4242 4242", "cardExpiry": "12 / 34", "cardCvc": "123", "billingName": "Carl",
    }, follow_redirects=True, timeout=15)
    assert paid_page.status_code == 200 and "Thank you" in paid_page.text

    partial = wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "partial")
    assert (partial["status"], partial["paid"], partial["remaining"]) == ("partial", money(15_000), money(35_000))
    assert partial["links"][0]["status"] == "paid"
    thanks = "✅ Payment of $150.00 received! Thank you for your business. - Ivy's Renovations"
    note = "💰 Payment received: $150.00 from Carl"
    assert eventually(lambda: thanks in texts_to(twilio, customer) and note in texts_to(twilio, issuer_phone))
    gone = open_link(deposit["url"])
    assert gone.status_code == 410 and "paid" in gone.text

    full = api(platform, "POST", f"/v1/invoices/{created['id']}/payment-links", issuer, json={"type": "full"})
    assert full.status_code == 409 and full.json()["code"] == "invoice_partly_paid"
    final = new_link(platform, issuer, created["id"], type="final")
    assert final["amount"] == money(35_000)
    pay_with_test_helper(platform, open_link(final["url"]).headers["location"])
    done = wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "paid")
    assert (done["status"], done["paid"], done["remaining"]) == ("paid", money(50_000), money(0)) and done["paid_at"]
    revenue = api(platform, "GET", f"/v1/jobs/{job}/revenue", issuer).json()
    assert revenue == {"job_id": job, "invoiced": [money(50_000)], "collected": [money(50_000)], "refunded": [money(0)], "outstanding": [money(0)]}

    # Stripe repeats and reorders its events: replayed newest first, they change nothing.
    client = stripe_client(platform)
    completed = [e for e in client.v1.events.list(params={"type": "checkout.session.completed", "limit": 100}).data
                 if e.data.object.to_dict()["metadata"].get("reference_id") == created["id"]]
    assert len(completed) == 2
    for event in reversed(completed * 2):
        assert signed_post(platform, event.to_dict()).status_code == 200
    payments = api(platform, "GET", "/v1/payments", issuer, params={"limit": 100}).json()["data"]
    assert sorted(p["amount"] for p in payments if p["purpose"] == "invoice") == [15_000, 35_000]
    assert invoice(platform, issuer, created["id"])["paid"] == money(50_000)
    assert texts_to(twilio, customer).count(thanks) == 1 and texts_to(twilio, issuer_phone).count(note) == 1
    assert api(platform, "GET", f"/v1/jobs/{job}/revenue", issuer).json() == revenue
    # A stranger sees nothing of it.
    assert api(platform, "GET", f"/v1/invoices/{created['id']}", "mallory").status_code == 404
    assert api(platform, "GET", f"/v1/jobs/{job}/revenue", "mallory").json()["collected"] == []


def local(phone: str, day: date, hour: int = 10, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=time_zone(phone))


def reminders(platform, issuer: str, invoice_id: str) -> list[dict]:
    answer = api(platform, "GET", f"/v1/invoices/{invoice_id}/reminders", issuer)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_reminder(platform, issuer: str, invoice_id: str, level: str, status: str) -> dict:
    found = eventually(lambda: next((r for r in reminders(platform, issuer, invoice_id) if r["level"] == level and r["status"] == status), None))
    assert found, reminders(platform, issuer, invoice_id)
    return found


def test_reminders_escalate_each_level_once_and_replies_show_on_them(platform, twilio, clock):
    issuer, _ = issuer_with_phone(platform)
    customer = daytime_mobile()
    due = date.today() + timedelta(days=3)
    created = new_invoice(platform, issuer, customer, total=20_000, due_date=str(due))
    expected = {
        "due": (0, "Hi! Your invoice of $200.00 is ready. Pay securely here: "),
        "overdue": (1, "Hi! Just a reminder that your balance of $200.00 is due. Pay easily here: "),
        "past_due": (8, "Reminder: Your balance of $200.00 is past due. Pay securely here: "),
        "final_notice": (15, "Final notice: Your balance of $200.00 is 15 days overdue. Please pay now to avoid additional action: "),
    }
    clock(local(customer, due - timedelta(days=1)))  # the day before: nothing yet
    for level, (days, wording) in expected.items():
        clock(local(customer, due + timedelta(days=days)))
        wait_reminder(platform, issuer, created["id"], level, "scheduled")
        clock(advance_s=301)  # past the hold
        sent = wait_reminder(platform, issuer, created["id"], level, "sent")
        assert sent["body"].startswith(wording) and sent["body"].split(": ")[-1].startswith(f"{platform.gateway_url}/pay/")
        assert eventually(lambda: sent["body"] in texts_to(twilio, customer))
        clock(advance_s=3600)  # the scheduler runs again the same day: nothing more
    assert eventually(lambda: (r := reminders(platform, issuer, created["id"]))[-1]["sms_status"] in ("sent", "delivered") and r)
    assert [r["level"] for r in reminders(platform, issuer, created["id"])] == list(expected)
    assert all(texts_to(twilio, customer).count(r["body"]) == 1 for r in reminders(platform, issuer, created["id"]))
    # The overdue invoice shows up for operators.
    assert invoice(platform, issuer, created["id"])["status"] == "overdue"
    overdue = api(platform, "GET", "/v1/invoices", "ops", "admin", params={"status": "overdue", "limit": 100}).json()["data"]
    assert created["id"] in {i["id"] for i in overdue}

    twilio.inbound(customer, OUR_NUMBER, "I'll pay on Friday")
    replied = eventually(lambda: (r := reminders(platform, issuer, created["id"])[-1])["reply"] and r)
    assert replied and replied["level"] == "final_notice" and replied["reply"] == "I'll pay on Friday" and replied["replied_at"]


def test_no_reminder_once_paid_even_one_decided_before_the_payment_landed(platform, twilio, clock):
    issuer, _ = issuer_with_phone(platform)
    customer = daytime_mobile()
    due = date.today() + timedelta(days=2)
    created = new_invoice(platform, issuer, customer, total=8_000, due_date=str(due))
    link = new_link(platform, issuer, created["id"], type="full")
    clock(local(customer, due))
    wait_reminder(platform, issuer, created["id"], "due", "scheduled")
    # The customer pays while the reminder waits to go.
    pay_with_test_helper(platform, open_link(link["url"]).headers["location"])
    wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "paid")
    clock(advance_s=301)
    withdrawn = wait_reminder(platform, issuer, created["id"], "due", "withdrawn")
    assert withdrawn["withdrawn_reason"] == "invoice_paid" and withdrawn["sent_at"] is None
    for days in (1, 8, 15):
        clock(local(customer, due + timedelta(days=days)))
        clock(advance_s=301)
    assert eventually(lambda: "✅ Payment of $80.00 received! Thank you for your business. - Ivy's Renovations" in texts_to(twilio, customer))
    assert [r["level"] for r in reminders(platform, issuer, created["id"])] == ["due"]
    assert not [t for t in texts_to(twilio, customer) if "/pay/" in t]


def test_after_an_outage_of_twenty_days_only_the_final_notice_goes(platform, twilio, clock):
    issuer, _ = issuer_with_phone(platform)
    customer = daytime_mobile()
    due = date.today() + timedelta(days=1)
    created = new_invoice(platform, issuer, customer, total=12_345, due_date=str(due))
    short_lived = new_link(platform, issuer, created["id"], type="deposit", expires_in_days=1)
    paid = new_link(platform, issuer, created["id"], type="progress", amount=2_345)
    pay_with_test_helper(platform, open_link(paid["url"]).headers["location"])
    wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "partial")
    clock(local(customer, due + timedelta(days=20)))
    wait_reminder(platform, issuer, created["id"], "final_notice", "scheduled")
    clock(advance_s=301)
    sent = wait_reminder(platform, issuer, created["id"], "final_notice", "sent")
    assert sent["body"].startswith("Final notice: Your balance of $100.00 is 20 days overdue. Please pay now to avoid additional action: ")
    assert [r["level"] for r in reminders(platform, issuer, created["id"])] == ["final_notice"]
    # Something is paid, so the link it carries is a final one for what remains.
    links = invoice(platform, issuer, created["id"])["links"]
    carried = next(link for link in links if link["url"] == sent["body"].rsplit(" ", 1)[-1])
    assert carried["type"] == "final" and carried["amount"] == money(10_000)
    assert eventually(lambda: sent["body"] in texts_to(twilio, customer))
    assert [t for t in texts_to(twilio, customer) if "/pay/" in t] == [sent["body"]]
    # A link past its expiry answers a page saying so.
    expired = open_link(short_lived["url"])
    assert expired.status_code == 410 and "expired" in expired.text
    assert next(link for link in links if link["id"] == short_lived["id"])["status"] == "expired"


def test_an_expired_session_leaves_its_link_usable_and_two_links_paid_at_once_refund_the_excess(platform, twilio):
    issuer, issuer_phone = issuer_with_phone(platform)
    customer = daytime_mobile()
    created = new_invoice(platform, issuer, customer, total=10_000)
    full = new_link(platform, issuer, created["id"], type="full")
    deposit = new_link(platform, issuer, created["id"], type="deposit", percent=60)

    first = open_link(full["url"]).headers["location"]
    stripe_client(platform).v1.checkout.sessions.expire(session_id_of(first))
    # The expired session is Stripe's page gone, not the link: the next visit gets a new page.
    second = eventually(lambda: (url := open_link(full["url"]).headers.get("location")) != first and url)
    assert second and session_id_of(second) != session_id_of(first)
    assert invoice(platform, issuer, created["id"])["links"][0]["status"] == "open"

    other = open_link(deposit["url"]).headers["location"]
    with ThreadPoolExecutor(2) as pool:  # both pages were open: both are paid at once
        list(pool.map(lambda url: pay_with_test_helper(platform, url), (second, other)))
    done = wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "paid")
    assert (done["paid"], done["remaining"]) == (money(10_000), money(0))
    refunded = eventually(lambda: (p := [p for p in api(platform, "GET", "/v1/payments", issuer, params={"limit": 100}).json()["data"]
                                         if p["purpose"] == "invoice" and p["amount_refunded"]]) and p, timeout=40)
    # Whichever landed second gives back what went beyond the total.
    assert len(refunded) == 1 and refunded[0]["amount_refunded"] == 6_000
    assert eventually(lambda: any("$60.00 more than its total was refunded to Carl" in t for t in texts_to(twilio, issuer_phone)))
    assert invoice(platform, issuer, created["id"])["paid"] == money(10_000)


def test_refunds_here_or_in_stripes_dashboard_give_back_what_remains(platform):
    issuer, _ = issuer_with_phone(platform)
    customer = daytime_mobile()
    job = f"job-{uuid.uuid4().hex[:8]}"
    created = new_invoice(platform, issuer, customer, total=9_000, job_id=job)
    pay_with_test_helper(platform, open_link(new_link(platform, issuer, created["id"], type="full")["url"]).headers["location"])
    wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "paid")

    refund = api(platform, "POST", f"/v1/invoices/{created['id']}/refunds", issuer, json={"amount": 2_000}, headers={"Idempotency-Key": "r1"})
    assert refund.status_code == 201 and refund.json()["amount"] == money(2_000), refund.text
    partial = wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "partial")
    assert (partial["paid"], partial["remaining"]) == (money(7_000), money(2_000))
    # The rest refunded in Stripe's dashboard (not through us): the invoice follows.
    payment = next(p for p in api(platform, "GET", "/v1/payments", issuer, params={"limit": 100}).json()["data"] if p["amount"] == 9_000)
    stripe_client(platform).v1.refunds.create(params={"payment_intent": payment["stripe_payment_intent_id"]})
    back = wait_invoice(platform, issuer, created["id"], lambda i: i["status"] == "refunded")
    assert (back["status"], back["paid"], back["remaining"]) == ("refunded", money(0), money(9_000))
    assert api(platform, "GET", f"/v1/jobs/{job}/revenue", issuer).json()["refunded"] == [money(9_000)]
    assert api(platform, "POST", f"/v1/invoices/{created['id']}/refunds", issuer, json={}, headers={"Idempotency-Key": "r2"}).status_code == 409


def test_bad_input_is_refused_naming_the_field_and_only_the_issuer_acts(platform):
    issuer = f"ivy-{uuid.uuid4().hex[:8]}"
    phone = daytime_mobile()
    base = {"customer": {"name": "Carl", "phone": phone}, "description": "Fence", "total": {"amount": 10_000, "currency": "usd"}}

    def refused(body: dict, field: str, path: str = "/v1/invoices") -> None:
        answer = api(platform, "POST", path, issuer, json=body)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith(PROBLEM), answer.text
        assert field in {e["field"] for e in answer.json()["errors"]}, answer.json()

    refused({**base, "customer": {"name": "Carl", "phone": "+442071838750"}}, "customer.phone")  # a landline
    refused({**base, "total": {"amount": 0, "currency": "usd"}}, "total.amount")
    refused({**base, "due_date": "2026-13-45"}, "due_date")
    assert api(platform, "GET", "/v1/invoices", issuer).json()["data"] == []  # nothing created

    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api(platform, "POST", "/v1/invoices", issuer, json=base, headers=key).json()
    assert api(platform, "POST", "/v1/invoices", issuer, json=base, headers=key).json()["id"] == first["id"]
    assert api(platform, "POST", "/v1/invoices", issuer, json={**base, "description": "Gate"}, headers=key).status_code == 409
    second = new_invoice(platform, issuer, phone, total=10_000)
    assert (first["number"], second["number"]) == ("INV-0001", "INV-0002")
    reused = api(platform, "POST", "/v1/invoices", issuer, json={**base, "number": "INV-0001"})
    assert reused.status_code == 409 and reused.json()["code"] == "invoice_number_taken"
    links = f"/v1/invoices/{first['id']}/payment-links"
    refused({"type": "deposit", "percent": 0}, "percent", links)
    refused({"type": "deposit", "percent": 100}, "percent", links)
    refused({"type": "progress", "amount": 10_001}, "amount", links)
    assert new_link(platform, issuer, first["id"], type="deposit", percent=25)["amount"] == money(2_500)
    # Half up: 33 % of 10,050 is 3,316.5 → 3,317.
    odd = new_invoice(platform, issuer, phone, total=10_050)
    assert new_link(platform, issuer, odd["id"], type="deposit", percent=33)["amount"] == money(3_317)

    for method, path, body in (("GET", f"/v1/invoices/{first['id']}", None), ("POST", links, {"type": "final"}),
                               ("POST", f"/v1/invoices/{first['id']}/send", {}), ("POST", f"/v1/invoices/{first['id']}/cancel", None),
                               ("GET", f"/v1/invoices/{first['id']}/reminders", None)):
        assert api(platform, method, path, "mallory", json=body).status_code == 404, path
    assert api(platform, "GET", f"/v1/invoices/{first['id']}", "ops", "admin").status_code == 200

    link = new_link(platform, issuer, first["id"], type="full")
    page_left_open = open_link(link["url"]).headers["location"]
    cancelled = api(platform, "POST", f"/v1/invoices/{first['id']}/cancel", issuer)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    gone = open_link(link["url"])
    assert gone.status_code == 410 and "cancelled" in gone.text and gone.headers["content-type"].startswith("text/html")
    assert open_link(f"{platform.gateway_url}/pay/nosuchcode").status_code == 404
    # The Stripe page the customer had open no longer takes money.
    client = stripe_client(platform)
    assert eventually(lambda: client.v1.checkout.sessions.retrieve(session_id_of(page_left_open)).status == "expired")


def test_nothing_is_texted_to_a_customer_who_opted_out(platform, twilio):
    issuer = f"ivy-{uuid.uuid4().hex[:8]}"
    customer = daytime_mobile()
    twilio.inbound(customer, OUR_NUMBER, "STOP")
    created = new_invoice(platform, issuer, customer, total=4_000)
    sent = api(platform, "POST", f"/v1/invoices/{created['id']}/send", issuer, json={})
    assert sent.status_code == 202 and sent.json()["link"]["type"] == "full"

    def status() -> str | None:
        texts = api(platform, "GET", "/v1/sms", issuer, params={"limit": 100}).json()["data"]
        return next((t["status"] for t in texts if t["id"] == sent.json()["sms_id"]), None)

    assert eventually(lambda: status() == "suppressed"), status()
    assert texts_to(twilio, customer) == []
