"""The API docs rendered by a real headless Chromium (Playwright), with every request it makes
watched: both pages must show the document and ask nothing of any other host."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.config import Settings
from settle_testing.servers import serve_in_thread

CHROMIUM = os.environ.get("SETTLE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")


def service() -> FastAPI:
    app = FastAPI(title="messaging")

    @app.post("/v1/projects", summary="Create a project", tags=["projects"])
    async def create_project() -> dict:
        return {}

    return app


@pytest.fixture(scope="module")
def gateway_url():
    with serve_in_thread(service()) as upstream:
        settings = Settings(messaging_url=upstream, billing_url=upstream, bookings_url=upstream, notifications_url=upstream)
        with serve_in_thread(create_app(settings)) as url:
            yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def visit(browser, url: str, shown: str) -> list[str]:
    """Opens `url`, waits until `shown` is on the page; returns the other hosts it asked for."""
    local = urlsplit(url).netloc
    elsewhere: list[str] = []

    def route(r):
        if urlsplit(r.request.url).netloc == local or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    page = browser.new_page()
    try:
        page.route("**/*", route)
        page.goto(url)
        page.get_by_text(shown).locator("visible=true").first.wait_for(timeout=20_000)
        page.wait_for_load_state("networkidle")
    finally:
        page.close()
    return elsewhere


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_render_the_document_from_the_platform_alone(browser, gateway_url, page):
    assert visit(browser, gateway_url + page, "Create a project") == []
