"""A service's readiness follows its database and broker, and the work it runs in the background:
a service whose consumer, relay or supervised loop died answers HTTP but is not ready."""

from __future__ import annotations

import asyncio
import time

import aio_pika
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from bus_fixtures import Pinged, prepare_database, recording, settings_for
from settle_kit.bus.subscriptions import Subscriptions
from settle_kit.service import create_service_app, supervise
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


def test_readyz_fails_naming_the_consumer_when_its_task_dies(database_factory, bus_namespace):
    url = asyncio.run(_prepared(database_factory))
    bus_namespace.services.add("gamma")
    subscriptions = Subscriptions({Pinged: recording()})
    app = create_service_app(settings_for("gamma", url, bus_namespace), title="gamma", subscriptions=subscriptions)
    with TestClient(app) as client:
        checks = wait_status(client, 200)["checks"]
        assert (checks["consumer"], checks["relay"]) == ("ok", "ok")

        client.portal.call(lambda: app.state.bus.consumer._worker_tasks[0].cancel())
        report = wait_status(client, 503)
        assert report["checks"]["consumer"].startswith("failed") and "consumer-0" in report["checks"]["consumer"]
        assert report["checks"]["broker"] == "ok"  # connected, but deaf: not ready all the same


def test_readyz_fails_naming_the_relay_or_a_supervised_loop_when_it_dies(database_factory, bus_namespace):
    url = asyncio.run(_prepared(database_factory))

    async def sweeper() -> None:
        await asyncio.Event().wait()  # runs until cancelled

    async def start(app) -> None:
        supervise(app, "sweeper", sweeper())

    app = create_service_app(settings_for("gamma", url, bus_namespace, run_consumer=False), title="gamma", on_startup=[start])
    with TestClient(app) as client:
        checks = wait_status(client, 200)["checks"]
        assert (checks["relay"], checks["sweeper"]) == ("ok", "ok")
        assert "consumer" not in checks  # switched off: nothing to report

        client.portal.call(lambda: app.state.background["sweeper"].cancel())
        assert "sweeper stopped" in wait_status(client, 503)["checks"]["sweeper"]

        client.portal.call(lambda: app.state.bus._relay_task.cancel())
        assert "relay stopped" in wait_status(client, 503)["checks"]["relay"]


def test_a_consumer_that_cannot_start_after_connecting_is_retried_and_unready_meanwhile(database_factory, bus_namespace):
    """The broker refuses the service's queue declaration (a queue of that name exists with other
    arguments): connected but unable to consume, the service is not ready, and it keeps trying."""
    url = asyncio.run(_prepared(database_factory))
    bus_namespace.services.add("gamma")
    queue = bus_namespace.topology.queue("gamma")
    asyncio.run(_declare_conflicting(bus_namespace.amqp_url, queue))
    subscriptions = Subscriptions({Pinged: recording()})
    app = create_service_app(settings_for("gamma", url, bus_namespace), title="gamma", subscriptions=subscriptions)
    with TestClient(app) as client:
        report = wait_status(client, 503)
        assert report["checks"]["consumer"].startswith("failed")

        asyncio.run(_delete_queue(bus_namespace.amqp_url, queue))
        assert wait_status(client, 200)["checks"]["consumer"] == "ok"


async def _declare_conflicting(amqp_url: str, name: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, durable=False, auto_delete=False)


async def _delete_queue(amqp_url: str, name: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


async def _prepared(database_factory) -> str:
    url = await database_factory("gamma")
    await prepare_database(url)
    return url
