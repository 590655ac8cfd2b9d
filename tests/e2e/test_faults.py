"""Faults in the middle of a burst of confirmed payments, end to end through the gateway.

A payer confirms a burst of milestone payments with Stripe (the simulator, which then delivers
signed webhooks to the gateway, retrying any it could not deliver, as Stripe does). Halfway
through the burst something breaks: billing and messaging are killed with SIGKILL, or their
broker connections are cut, or their database connections are cut; the rest of the burst is
confirmed while it is broken; then it comes back. Afterwards every payment has succeeded, the
conversation holds exactly one receipt per payment, and nothing was dead-lettered.

Billing and messaging reach RabbitMQ and PostgreSQL through TCP proxies the test can cut
(settle_testing.proxy), so a cut is a real dropped connection, seen by the drivers as such.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

from settle_testing.infra import amqp_url
from settle_testing.platform import Platform, start_platform
from settle_testing.proxy import TcpProxy
from support import eventually
from test_payments import conversation_between, create_payment, stripe_client

BURST = 36
CUT = ("billing", "messaging")
# Stripe retries a failed delivery for days; compressed, so a delivery refused while billing is
# down comes again within seconds (about a minute in all).
RETRY_SCHEDULE = "0.5,1,1,2,2,3,3,5,5,5,5,5,10,10"
DEADLINE_S = 90


class FaultPlatform:
    def __init__(self, platform: Platform, broker: dict[str, TcpProxy], database: dict[str, TcpProxy]) -> None:
        self.platform = platform
        self.broker = broker
        self.database = database

    def env_of(self, service: str) -> dict[str, str]:
        """The service's connections, through its proxies."""
        broker = urlsplit(self.platform.env["AMQP_URL"])
        amqp = broker._replace(netloc=f"{broker.username}:{broker.password}@127.0.0.1:{self.broker[service].port}").geturl()
        database = make_url(self.platform.database_urls[service]).set(host="127.0.0.1", port=self.database[service].port)
        return {"AMQP_URL": amqp, f"{service.upper()}_DATABASE_URL": database.render_as_string(hide_password=False)}

    def start(self, service: str) -> None:
        self.platform.start_process(service, service, extra_env=self.env_of(service))

    def kill(self, service: str) -> None:
        process = self.platform.processes.pop(service)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def wait_ready(self) -> None:
        self.platform.wait_ready(self.platform.gateway_url, timeout=DEADLINE_S)


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultPlatform]:
    broker = urlsplit(amqp_url())
    with ExitStack() as stack:
        platform = start_platform({"STRIPE_SIM_RETRY_SCHEDULE": RETRY_SCHEDULE})
        stack.callback(platform.stop)
        database = make_url(platform.database_urls["billing"])
        fault = FaultPlatform(
            platform,
            broker={s: stack.enter_context(TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)) for s in CUT},
            database={s: stack.enter_context(TcpProxy(database.host or "127.0.0.1", database.port or 5432)) for s in CUT},
        )
        for service in CUT:  # the same services, now connected through the proxies
            platform.stop_process(service)
            fault.start(service)
        fault.wait_ready()
        yield fault


def burst(fault: FaultPlatform, title: str, break_it, mend_it) -> tuple[list[dict], str]:
    """Confirms BURST payments with Stripe, breaking things halfway and mending them after;
    returns the payments and their conversation's id."""
    platform = fault.platform
    project, conversation = conversation_between(platform, "ann", "ben", title)
    payments = []
    for i in range(BURST):
        # Each amount its own, so that each receipt names its payment in words too.
        body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 1000 + i, "currency": "usd"}
        created = create_payment(platform, "ann", body)
        assert created.status_code == 201, created.text
        payments.append(created.json())

    client = stripe_client(platform)

    def confirm(payment: dict) -> None:
        client.v1.payment_intents.confirm(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})

    half = BURST // 2
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(confirm, payments[:half]))
        break_it()
        list(pool.map(confirm, payments[half:]))
    mend_it(conversation["id"])
    return payments, conversation["id"]


def receipts(platform: Platform, conversation_id: str) -> list[dict]:
    found, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = httpx.get(
            platform.gateway_url + f"/v1/conversations/{conversation_id}/messages", params=params, headers=platform.headers("ben")
        ).json()
        found += [m for m in page["data"] if m["kind"] == "system"]
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]


def statuses(platform: Platform, conversation_id: str) -> dict[str, str]:
    listed = httpx.get(
        platform.gateway_url + "/v1/payments", params={"conversation_id": conversation_id, "limit": 100}, headers=platform.headers("ann")
    ).json()
    return {p["id"]: p["status"] for p in listed["data"]}


def queue_depths(platform: Platform) -> dict[str, int]:
    topology = platform.namespace.topology
    names = [topology.queue(s) for s in CUT] + [topology.dead_queue(s) for s in CUT]
    names += [topology.retry_queue(s, d) for s in CUT for d in platform.namespace.retry_delays_ms]

    async def depths() -> dict[str, int]:
        return {name: await platform.namespace.queue_depth(name) for name in names}

    return asyncio.run(depths())


def noticed(fault: FaultPlatform, check: str, services=CUT) -> None:
    """Waits until the services' own readiness reports the fault: it has bitten."""

    def failing(service: str) -> bool:
        try:
            answer = httpx.get(fault.platform.service_urls[service] + "/readyz", timeout=5)
        except httpx.HTTPError:
            return check == "process"
        return answer.status_code == 503 and answer.json()["checks"].get(check) != "ok"

    assert eventually(lambda: all(failing(s) for s in services), timeout=30, interval=0.2), f"{check} fault not noticed"


def outlast_the_retries(fault: FaultPlatform) -> None:
    """Keeps a fault on longer than a message's every retry takes (the test bus's delays are
    short), so that an outage is an outage, not a blip the retries paper over."""
    time.sleep(sum(fault.platform.namespace.retry_delays_ms) / 1000 * 2)


def all_succeeded(platform: Platform, conversation_id: str, count: int = BURST) -> bool:
    found = statuses(platform, conversation_id)
    return len(found) == count and set(found.values()) == {"succeeded"}


def assert_every_payment_succeeded_with_exactly_one_receipt(fault: FaultPlatform, title: str, payments: list[dict], conversation_id: str) -> None:
    platform = fault.platform
    ids = {p["id"] for p in payments}
    assert eventually(lambda: all_succeeded(platform, conversation_id), timeout=DEADLINE_S, interval=0.5), Counter(
        statuses(platform, conversation_id).values()
    )

    def every_receipt_in() -> bool:
        return {r["payment_id"] for r in receipts(platform, conversation_id)} >= ids

    assert eventually(every_receipt_in, timeout=DEADLINE_S, interval=0.5), f"{len(receipts(platform, conversation_id))} receipts of {BURST}"
    # Nothing more is on its way (queues and retry queues empty): what is there now is all there
    # will be. Nothing was given up on either (the dead-letter queues are empty).
    def settled() -> bool:
        return not any(n for name, n in queue_depths(platform).items() if not name.endswith(".dead"))

    assert eventually(settled, timeout=DEADLINE_S, interval=0.5), queue_depths(platform)
    dead = {name: n for name, n in queue_depths(platform).items() if name.endswith(".dead") and n}
    assert not dead, f"dead-lettered: {dead}"
    # Nor kept as dead letters (each service drains its dead queue into its dead_letters table).
    kept = httpx.get(platform.gateway_url + "/v1/admin/dead-letters", headers=platform.headers("ops", "admin"), timeout=10)
    assert kept.status_code == 200 and kept.json()["data"] == [], kept.text
    found = receipts(platform, conversation_id)
    per_payment = Counter(r["payment_id"] for r in found)
    assert per_payment == Counter({i: 1 for i in ids}), {i: n for i, n in per_payment.items() if n != 1}
    assert sorted(r["body"] for r in found) == sorted(f"✅ Payment of ${(1000 + i) / 100:.2f} for {title} succeeded." for i in range(BURST))


def test_billing_and_messaging_killed_mid_burst_lose_and_double_nothing(faults):
    def kill() -> None:
        for service in CUT:
            faults.kill(service)

    def restart(conversation_id: str) -> None:
        noticed(faults, "process")
        for service in CUT:
            faults.start(service)
        faults.wait_ready()

    title = "Killed mid-burst"
    payments, conversation_id = burst(faults, title, kill, restart)
    assert_every_payment_succeeded_with_exactly_one_receipt(faults, title, payments, conversation_id)


def test_broker_connections_cut_mid_burst_lose_and_double_nothing(faults):
    def cut() -> None:
        for service in CUT:
            faults.broker[service].refuse()

    def mend(conversation_id: str) -> None:
        noticed(faults, "broker")
        outlast_the_retries(faults)
        for service in CUT:
            faults.broker[service].accept()

    title = "Broker cut mid-burst"
    payments, conversation_id = burst(faults, title, cut, mend)
    assert_every_payment_succeeded_with_exactly_one_receipt(faults, title, payments, conversation_id)
    faults.wait_ready()


def test_billings_database_cut_mid_burst_loses_and_doubles_nothing(faults):
    """Billing cannot store or process the webhooks meanwhile: Stripe's retries bring them back."""

    def cut() -> None:
        faults.database["billing"].refuse()

    def mend(conversation_id: str) -> None:
        noticed(faults, "database", ["billing"])
        outlast_the_retries(faults)
        faults.database["billing"].accept()

    title = "Billing's database cut mid-burst"
    payments, conversation_id = burst(faults, title, cut, mend)
    assert_every_payment_succeeded_with_exactly_one_receipt(faults, title, payments, conversation_id)
    faults.wait_ready()


def test_messagings_database_cut_mid_burst_loses_and_doubles_nothing(faults):
    """Billing records every payment and emits its outcome while messaging cannot write a receipt."""

    def cut() -> None:
        faults.database["messaging"].refuse()

    def mend(conversation_id: str) -> None:
        noticed(faults, "database", ["messaging"])
        assert eventually(lambda: all_succeeded(faults.platform, conversation_id), timeout=DEADLINE_S, interval=0.5)
        outlast_the_retries(faults)
        faults.database["messaging"].accept()

    title = "Messaging's database cut mid-burst"
    payments, conversation_id = burst(faults, title, cut, mend)
    assert_every_payment_succeeded_with_exactly_one_receipt(faults, title, payments, conversation_id)
    faults.wait_ready()
