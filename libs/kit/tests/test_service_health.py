"""A service's readiness follows its database and broker."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from bus_fixtures import prepare_database, settings_for
from settle_kit.service import create_service_app
from settle_testing.proxy import TcpProxy


def wait_status(client: TestClient, expected: int, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/readyz")
        if response.status_code == expected or time.monotonic() > deadline:
            assert response.status_code == expected, response.text
            return response.json()
        time.sleep(0.1)


def test_readyz_fails_while_the_database_is_unreachable_and_recovers(database_factory, bus_namespace):
    url = asyncio.run(_prepared(database_factory))
    real = make_url(url)
    with TcpProxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = create_service_app(settings_for("gamma", via_proxy, bus_namespace, run_relay=False), title="gamma")
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert wait_status(client, 200)["checks"] == {"database": "ok", "broker": "ok", "retention": "ok"}

            proxy.refuse()
            report = wait_status(client, 503)
            assert report["status"] == "unready"
            assert report["checks"]["database"].startswith("failed")
            assert report["checks"]["broker"] == "ok"
            assert client.get("/healthz").status_code == 200  # alive, just not ready

            proxy.accept()
            wait_status(client, 200)


async def _prepared(database_factory) -> str:
    url = await database_factory("gamma")
    await prepare_database(url)
    return url
