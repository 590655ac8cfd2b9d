"""The operator console in a real headless Chromium (Playwright) against the running platform: an
operator signs in, runs a payout, retries a failed Stripe event, replays a dead letter and refunds
part of a payment; a user's token sees a refusal. Every request the browser makes is watched: none
may leave the gateway. Screenshots of each page go to SETTLE_ARTEFACTS (default
.run/artefacts/console), printed in the test output."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import date, timedelta
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from support import eventually
from settle_testing.platform import start_platform
from test_background_work import intent_event, listed, paid_at_stripe
from test_bookings import become_expert, book, complete_when_started, onboarded, pay, someone, soon, wait_booking
from test_dead_letters import park_sms_request
from test_invoices import api, clock, daytime_mobile, issuer_with_phone, local, new_invoice  # noqa: F401 (clock: a fixture)
from test_payments import paid_payment, signed_post, stripe_client, wait_receipts, wait_status
from twilio_sim.control_client import SimulatorControl

CHROMIUM = os.environ.get("SETTLE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTEFACTS = Path(os.environ.get("SETTLE_ARTEFACTS", Path(__file__).resolve().parents[2] / ".run" / "artefacts" / "console"))

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def quiet_platform():
    """As test_background_work's: no webhooks from the simulator, events give up after two attempts."""
    running = start_platform(
        {"BILLING_STRIPE_TIMEOUT_S": "1", "BILLING_STRIPE_MAX_RETRIES": "0", "BILLING_STRIPE_EVENT_MAX_ATTEMPTS": "2"},
        stripe_webhooks=False,
    )
    yield running
    os.kill(running.processes["stripe"].pid, signal.SIGCONT)
    # In a thread of its own: Playwright's event loop runs in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(running.stop).result()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {ARTEFACTS}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """A tab on the console; `elsewhere` collects any request for another host (aborted)."""

    def __init__(self, browser, gateway_url: str) -> None:
        self.gateway_url = gateway_url
        self.elsewhere: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("dialog", lambda dialog: dialog.accept())  # the operator confirms
        local = urlsplit(gateway_url).netloc

        def route(r):
            if urlsplit(r.request.url).netloc == local or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.elsewhere.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)

    def sign_in(self, token: str) -> None:
        self.page.goto(self.gateway_url + "/console")
        self.page.fill("#token", token)
        self.page.click("#sign-in button[type=submit]")

    def go(self, name: str) -> None:
        self.page.click(f"nav a[href='#{name}']")
        self.page.wait_for_load_state("networkidle")

    def reload(self, name: str) -> None:
        """The page afresh (the token stays: the tab is the same)."""
        self.page.evaluate(f"location.hash = '#{name}'")
        self.page.reload()
        self.page.wait_for_load_state("networkidle")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert self.elsewhere == [], f"the console asked other hosts: {self.elsewhere}"
        self.page.close()


@pytest.fixture
def console(browser, platform):
    tab = Console(browser, platform.gateway_url)
    tab.sign_in(platform.token("ops", "admin"))
    yield tab
    tab.close()


def test_overview_shows_the_figures_and_a_30_day_chart_from_the_gateway_alone(console, platform):
    paid_payment(platform, someone("ola"), someone("pia"), "Console overview", amount=1234)
    console.reload("overview")
    console.page.wait_for_selector("#payments-chart rect.bar", state="attached")
    assert console.page.locator("#payments-chart rect.bar").count() == 30
    today = console.page.locator("#payments-chart rect.bar").last
    assert int(today.get_attribute("data-count")) >= 1
    assert "%" in console.page.inner_text("#success-rate")
    assert "USD" in console.page.inner_text(".cards")
    console.shot("overview")
    # The token stays with the tab: sessionStorage, not a cookie or localStorage.
    assert console.page.evaluate("sessionStorage.getItem('settle.console.token')")
    assert console.page.context.cookies() == [] and console.page.evaluate("localStorage.length") == 0


def test_a_users_token_is_refused_and_shown_no_data(browser, platform):
    tab = Console(browser, platform.gateway_url)
    tab.sign_in(platform.token("ann"))
    refusal = tab.page.wait_for_selector("#notice.refused")
    assert "not an admin" in refusal.inner_text()
    for name in ("payouts", "failed", "texts"):
        tab.go(name)
        tab.page.wait_for_selector("#notice.refused")
        assert tab.page.locator("#page table").count() == 0
    tab.shot("refused")
    tab.close()


def test_a_pending_payout_is_run_from_the_console(console, platform):
    requester, expert = someone("rae"), someone("eli")
    become_expert(platform, expert, amount=100)
    created = book(platform, requester, expert, soon(4), 30)
    assert created.status_code == 201, created.text
    pay(platform, requester, created.json())
    scheduled = wait_booking(platform, requester, created.json()["id"], lambda b: b["status"] == "scheduled")
    account = onboarded(platform, expert)
    complete_when_started(platform, expert, scheduled)

    console.go("payouts")
    row = console.page.locator("tr", has_text=expert).first
    row.wait_for()
    assert "$27.00 USD" in row.inner_text() and "pending" in row.inner_text()
    console.shot("payouts-pending")
    console.page.click("text=Run payouts")
    result = console.page.locator("#payout-result tr", has_text=expert).first
    result.wait_for(timeout=60_000)
    assert "paid" in result.inner_text()
    console.shot("payouts-run")
    transfers = stripe_client(platform).v1.transfers.list(params={"destination": account, "limit": 10}).data
    assert [(t.amount, t.currency) for t in transfers] == [(2700, "usd")]
    paid = httpx.get(platform.gateway_url + "/v1/admin/payouts", params={"status": "paid"}, headers=platform.headers("ops", "admin")).json()
    assert [r["status"] for r in paid["data"] if r["expert_id"] == expert] == ["paid"]


def test_part_of_a_payment_is_refunded_from_its_page(console, platform):
    payer, payee = someone("may"), someone("ned")
    paid = paid_payment(platform, payer, payee, "Console refund", amount=3000)
    assert wait_receipts(platform, payer, paid["conversation_id"], 1)  # messaging posts it once billing's event arrives
    console.go("payments")
    console.page.fill("#payment-search", payer)
    console.page.click("text=Search")
    console.page.click(f"text={paid['id']}")
    console.page.wait_for_selector("#refund-form")
    # Its history: the Stripe events billing received about it.
    console.page.wait_for_selector("tr >> text=payment_intent.succeeded")
    # And the receipt messaging posted in its conversation, which the operator cannot open.
    console.page.wait_for_selector("#payment-receipts td >> text=✅ Payment of $30.00 for Console refund succeeded.")
    console.shot("payment")
    console.page.fill("#refund-amount", "12.50")
    console.page.click("#refund-form button")
    refunded = eventually(lambda: (p := httpx.get(f"{platform.gateway_url}/v1/payments/{paid['id']}", headers=platform.headers(payer)).json())
                          ["amount_refunded"] == 1250 and p, timeout=30)
    assert refunded and refunded["status"] == "partially_refunded", refunded
    console.page.wait_for_selector("td[data-field=Refunded] >> text=$12.50 USD")
    console.shot("payment-refunded")
    intent = stripe_client(platform).v1.payment_intents.retrieve(paid["stripe_payment_intent_id"])
    refunds = stripe_client(platform).v1.refunds.list(params={"payment_intent": intent.id}).data
    assert [r.amount for r in refunds] == [1250]


def test_a_dead_letter_is_replayed_from_failed_work_and_texts_once(console, platform):
    twilio = SimulatorControl(platform.twilio_url)
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    park_sms_request(platform, phone)

    def shown() -> bool:
        console.reload("failed")
        return console.page.locator("tr", has_text=phone).count() > 0

    assert eventually(shown, timeout=20, interval=0.5), "the dead letter never showed in failed work"
    console.shot("failed-work")
    row = console.page.locator("tr", has_text=phone).first
    row.get_by_role("button", name="Replay").click()
    console.page.wait_for_selector("#notice >> text=replayed")
    assert eventually(lambda: twilio.messages(To=phone), timeout=30), "the replayed request was never handled"
    assert console.page.locator("tr", has_text=phone).count() == 0
    console.go("texts")
    console.page.wait_for_selector(f"tr >> text={phone}")
    console.shot("texts")
    assert len(twilio.messages(To=phone)) == 1
    twilio.close()


def test_an_overdue_invoice_and_its_texts_are_shown(console, platform, clock):
    issuer, _ = issuer_with_phone(platform)
    customer = daytime_mobile()
    due = date.today() + timedelta(days=3)
    created = new_invoice(platform, issuer, customer, total=20_000, due_date=str(due))
    sent = api(platform, "POST", f"/v1/invoices/{created['id']}/send", issuer, json={})
    assert sent.status_code == 202, sent.text
    clock(local(customer, due + timedelta(days=2)))  # billing's clock: two days past due

    console.go("invoices")
    row = console.page.locator("tr", has_text=created["number"]).first
    row.wait_for()
    assert "$200.00 USD" in row.inner_text() and issuer in row.inner_text()
    row.get_by_role("button", name="Texts").click()
    console.page.wait_for_selector(f"#invoice-texts tr >> text={customer}")
    console.shot("invoices")


def test_a_failed_stripe_event_is_retried_from_failed_work_and_processed(browser, quiet_platform):
    platform = quiet_platform
    payment = paid_at_stripe(platform, "Console dead event")
    event = intent_event(payment["stripe_payment_intent_id"], "processing")
    simulator = platform.processes["stripe"].pid
    os.kill(simulator, signal.SIGSTOP)  # Stripe does not answer: the event fails its two attempts
    try:
        assert signed_post(platform, event).status_code == 200
        assert eventually(lambda: listed(platform, "/v1/admin/stripe-events", "failed").get(event["id"]), timeout=60)
    finally:
        os.kill(simulator, signal.SIGCONT)  # the cause fixed

    tab = Console(browser, platform.gateway_url)
    tab.sign_in(platform.token("ops", "admin"))
    tab.go("failed")
    tab.shot("failed-stripe-event")
    row = tab.page.locator("tr", has_text=event["id"]).first
    row.wait_for()
    tab.shot("failed-stripe-event")
    row.get_by_role("button", name="Retry").click()
    tab.page.wait_for_selector("#notice >> text=handed back")
    assert wait_status(platform, "ann", payment["id"], "succeeded") == "succeeded"
    assert eventually(lambda: listed(platform, "/v1/admin/stripe-events", "processed").get(event["id"]))
    tab.reload("failed")
    assert tab.page.locator("tr", has_text=event["id"]).count() == 0
    tab.close()


def test_the_console_page_forbids_other_hosts(platform):
    page = httpx.get(platform.gateway_url + "/console")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # every asset is the gateway's own
    for asset in ("/console/assets/console.js", "/console/assets/console.css"):
        assert httpx.get(platform.gateway_url + asset).status_code == 200
