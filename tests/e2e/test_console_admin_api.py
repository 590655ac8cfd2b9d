"""The admin APIs the operator console reads beyond failed work: payment figures, every text and
the numbers that opted out. Admins only."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from support import PROBLEM


@pytest.mark.parametrize("path", ["/v1/admin/payment-stats", "/v1/admin/sms", "/v1/admin/opt-outs"])
def test_only_admins_read_the_console_figures(platform, path):
    url = platform.gateway_url + path
    assert httpx.get(url).status_code == 401
    user = httpx.get(url, headers=platform.headers("ann"))
    assert (user.status_code, user.headers["content-type"]) == (403, PROBLEM)
    assert httpx.get(url, headers=platform.headers("ops", "admin")).status_code == 200


def test_payment_stats_count_today_per_currency(platform):
    admin = platform.headers("ops", "admin")
    stats = httpx.get(f"{platform.gateway_url}/v1/admin/payment-stats", headers=admin).json()
    assert set(stats) == {"since", "days", "success_rate", "collected"}
    today = datetime.now(UTC).date().isoformat()
    assert all(day["date"] <= today and day["date"] >= stats["since"] for day in stats["days"])
    bad = httpx.get(f"{platform.gateway_url}/v1/admin/payment-stats", params={"days": 0}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("days")


def test_admins_see_every_text_and_opt_out(platform):
    from test_notifications import fresh_number, publish, wait_status  # noqa: PLC0415
    from settle_contracts.notifications import SmsRequested  # noqa: PLC0415

    phone = fresh_number()
    envelope = publish(platform, SmsRequested(to_phone=phone, body="For the console", kind="confirmation", requested_by="quinn"))
    wanted = SmsRequested.sms_id(envelope.id)
    wait_status(platform, "quinn", wanted, "delivered")
    admin = platform.headers("ops", "admin")
    texts = httpx.get(f"{platform.gateway_url}/v1/admin/sms", params={"limit": 100}, headers=admin).json()["data"]
    mine = next(t for t in texts if t["id"] == wanted)
    assert (mine["requested_by"], mine["to"], mine["body"]) == ("quinn", phone, "For the console")
    # Another user sees none of quinn's texts.
    assert all(t["id"] != wanted for t in httpx.get(f"{platform.gateway_url}/v1/sms", headers=platform.headers("ann")).json()["data"])
    opt_outs = httpx.get(f"{platform.gateway_url}/v1/admin/opt-outs", headers=admin)
    assert opt_outs.status_code == 200 and "data" in opt_outs.json()
