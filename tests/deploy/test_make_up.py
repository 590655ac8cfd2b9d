"""`make up` tells the truth, and a second copy runs beside the first (`make up PORT_BASE=...`).

Each test runs the real Makefile on a private PORT_BASE (so its ports, databases and bus
namespace are its own), and afterwards drops those databases and that namespace.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy.engine import make_url

from settle_kit.db import drop_database
from settle_testing.broker import BusNamespace
from settle_testing.infra import amqp_url, postgres_url

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("billing", "bookings", "messaging", "notifications")
# Offsets from PORT_BASE: gateway, the four services, the Stripe and Twilio simulators.
OFFSETS = {"gateway": 0, "billing": 1, "bookings": 2, "messaging": 3, "notifications": 4, "stripe": 4111, "twilio": 4112}


def free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def private_base(avoid: set[int] = frozenset()) -> int:
    """A PORT_BASE whose every derived port is free now, far from the usual ones."""
    while True:
        base = random.randrange(20000, 40000, 10)
        ports = {base + offset for offset in OFFSETS.values()}
        if not ports & avoid and all(free(port) for port in ports):
            return base


class Copy:
    """One copy of the platform as `make up PORT_BASE=<base>` starts it."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.namespace = f"settle{base}"
        self.pid_file = ROOT / f".run/platform-{base}.pid"
        self.log = ROOT / f".run/platform-{base}.log"
        self.ports = {name: base + offset for name, offset in OFFSETS.items()}
        server = make_url(postgres_url())
        self.database_urls = {
            s: server.set(database=f"settle_{s}_{base}").render_as_string(hide_password=False) for s in SERVICES
        }

    def environment(self, **extra: str) -> dict[str, str]:
        derived = subprocess.run(["make", "-s", "env"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        names = {line.split("=", 1)[0].removeprefix("export ") for line in derived.splitlines()}
        env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("MAKE")}
        server = make_url(postgres_url()).set(database=None).render_as_string(hide_password=False)
        return {**env, "DATABASE_SERVER": server.rstrip("/"), "AMQP_URL": amqp_url(), **extra}

    def make(self, target: str, timeout: float = 180, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["make", "--no-print-directory", target, f"PORT_BASE={self.base}", "UP_TIMEOUT=60"],
            cwd=ROOT,
            env=self.environment(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def processes(self) -> list[psutil.Process]:
        """Every process on this machine that runs with this copy's bus namespace."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get("BUS_NAMESPACE") == self.namespace:
                    found.append(process)
            except psutil.Error:
                continue
        return found

    def remove(self) -> None:
        self.make("down")
        for process in self.processes():  # only if the test failed: never leave them running
            process.kill()
        self.log.unlink(missing_ok=True)

        async def drop() -> None:
            for url in self.database_urls.values():
                await drop_database(url)
            await BusNamespace(amqp_url(), name=self.namespace, services=set(SERVICES), retry_delays_ms=[1000, 5000, 30000]).delete()

        asyncio.run(drop())


@pytest.fixture
def copies() -> Iterator[list[Copy]]:
    made: list[Copy] = []
    yield made
    for copy in made:
        copy.remove()


def test_make_up_refuses_a_port_already_taken_naming_it_and_leaves_nothing_behind(copies):
    copy = Copy(private_base())
    copies.append(copy)
    with socket.socket() as squatter:  # what another copy, or anything else, would hold
        squatter.bind(("127.0.0.1", copy.ports["billing"]))
        squatter.listen()
        result = copy.make("up")

        assert result.returncode != 0, result.stdout
        assert f"port {copy.ports['billing']} (billing, BILLING_PORT) is already in use by pid {os.getpid()}" in result.stderr
        assert "Settle is up" not in result.stdout
        assert not copy.pid_file.exists()
        assert copy.processes() == []
        for name, port in copy.ports.items():
            assert name == "billing" or free(port), f"{name} still listens on {port}"


def test_make_up_fails_naming_a_process_that_could_not_start_and_stops_the_others(copies):
    copy = Copy(private_base())
    copies.append(copy)
    # Billing cannot listen on an address this machine does not have: the ports were free, so
    # only watching its own processes can tell.
    result = copy.make("up", BILLING_HOST="203.0.113.1")

    assert result.returncode != 0, result.stdout
    assert f"billing could not listen on 203.0.113.1:{copy.ports['billing']}" in result.stderr
    assert not copy.pid_file.exists()
    assert copy.processes() == []
    assert all(free(port) for port in copy.ports.values())


def test_a_second_copy_runs_beside_the_first_on_its_own_ports_databases_and_bus(copies):
    first = Copy(private_base())
    second = Copy(private_base(avoid=set(first.ports.values())))
    copies.extend([first, second])
    for copy in (first, second):
        result = copy.make("up")
        assert result.returncode == 0, result.stderr
        assert f"Settle is up at http://127.0.0.1:{copy.base}" in result.stdout

    for copy in (first, second):
        assert copy.pid_file.exists()
        listening = {
            c.laddr.port for p in copy.processes() for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN
        }
        assert listening == set(copy.ports.values())
        ready = httpx.get(f"http://127.0.0.1:{copy.base}/readyz", timeout=5).json()
        assert ready["status"] == "ready", ready
        # Its hosted pages and Connect return pages point at its own simulator and gateway.
        billing = next(p for p in copy.processes() if "billing" in p.cmdline()).environ()
        assert billing["BILLING_DATABASE_URL"].endswith(f"/settle_billing_{copy.base}")
        assert billing["STRIPE_API_BASE"] == f"http://127.0.0.1:{copy.ports['stripe']}"
        assert billing["BILLING_CONNECT_RETURN_URL"] == f"http://127.0.0.1:{copy.base}/payouts/onboarding/return"
        stripe = next(p for p in copy.processes() if "stripe_sim" in p.cmdline()).environ()
        assert stripe["STRIPE_SIM_PUBLIC_URL"] == f"http://127.0.0.1:{copy.ports['stripe']}"
        twilio = next(p for p in copy.processes() if "twilio_sim" in p.cmdline()).environ()
        assert twilio["TWILIO_SIM_INBOUND_URL"] == f"http://127.0.0.1:{copy.base}/v1/webhooks/twilio/inbound"
        notifications = next(p for p in copy.processes() if "notifications" in p.cmdline()).environ()
        assert notifications["NOTIFICATIONS_PUBLIC_URL"] == f"http://127.0.0.1:{copy.base}"

    # Each copy's own bus: a queue per service under its namespace.
    assert asyncio.run(BusNamespace(amqp_url(), name=first.namespace).queue_depth(f"{first.namespace}.billing")) >= 0

    again = first.make("up")
    assert again.returncode == 0 and "already running" in again.stdout

    for copy in (first, second):
        assert copy.make("down").returncode == 0
        assert not copy.pid_file.exists()
        assert copy.processes() == []
