"""The hosted Checkout page paid by a real headless Chromium, driven by Playwright."""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("STRIPE_SIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
def test_checkout_paid_in_headless_browser(client):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    session = client.v1.checkout.sessions.create(params={
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 4200,
                                       "product_data": {"name": "Browser-tested lesson"}}, "quantity": 1}],
        # The success page is served by the simulator too, so the browser needs no outside network.
        "success_url": client._requestor.base_addresses["api"] + "/checkout/{CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/cancel",
        "customer_email": "browser@example.com",
    })
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(session.url)
            assert "Pay 42.00 usd" in page.inner_text("#submit")
            page.fill("#cardNumber", "4000 0000 0000 9995")
            page.fill("#cardExpiry", "12 / 34")
            page.fill("#cardCvc", "123")
            page.click("#submit")
            assert "insufficient funds" in page.inner_text("#error")
            page.fill("#cardNumber", "4242 4242 4242 4242")
            page.fill("#cardExpiry", "12 / 34")
            page.fill("#cardCvc", "123")
            page.fill("#billingName", "Browser Buyer")
            page.click("#submit")
            page.wait_for_selector("#paid")
            assert page.url.endswith("/checkout/" + session.id)
        finally:
            browser.close()
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete" and done.payment_status == "paid"
    assert done.customer_details.name == "Browser Buyer"
    assert client.v1.payment_intents.retrieve(done.payment_intent).amount_received == 4200
