"""The whole platform as real processes, for end-to-end tests and benchmarks.

Each start gets fresh databases, its own bus namespace, free ports and a random JWT secret,
runs `python -m <service>.migrate`, starts every service and the gateway, and waits for the
gateway's `/readyz`. Logs go to one file per process, in a temporary folder per platform
(`log_dirs`); under pytest the plugin removes them after a run that passed and names them after
one that failed.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from settle_kit.auth import Role, mint_token
from settle_testing import databases
from settle_testing.broker import BusNamespace
from settle_testing.infra import amqp_url

SERVICES = ("billing", "bookings", "messaging", "notifications")

# Every log folder a platform of this process made, oldest first.
log_dirs: list[Path] = []


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on, below the kernel's ephemeral range: a port from
    that range (what binding port 0 gives) can be taken by an outgoing connection's source port
    in the seconds before its service binds it (migrations run first)."""
    chosen: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(chosen) < count:
            port = random.randrange(20_000, 32_768)
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)  # held until all are chosen: no port is chosen twice
            chosen.append(port)
    finally:
        for sock in held:
            sock.close()
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class Platform:
    env: dict[str, str]
    gateway_url: str
    stripe_url: str
    service_urls: dict[str, str]
    database_urls: dict[str, str]
    namespace: BusNamespace
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    twilio_url: str = ""

    def token(self, user_id: str, role: Role = "user") -> str:
        return mint_token(self.env["JWT_SECRET"], user_id, role)[0]

    def headers(self, user_id: str, role: Role = "user") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, role)}"}

    def start_process(self, name: str, module: str, *args: str, extra_env: dict[str, str] | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}); see {self.log_dir / name}.log")
            try:
                last = httpx.get(url + "/readyz", timeout=2)
                # The gateway answers 200 while it can serve; its body says whether every service is ready.
                if last.status_code == 200 and last.json().get("status") == "ready":
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.2)
        raise RuntimeError(f"{url} not ready after {timeout}s: {getattr(last, 'text', last)}")

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_process(name)
        for url in self.database_urls.values():
            asyncio.run(databases.drop(url))
        asyncio.run(self.namespace.delete())


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def start_platform(extra_env: dict[str, str] | None = None, *, stripe_webhooks: bool = True) -> Platform:
    """`stripe_webhooks=False` starts the Stripe simulator with no webhook endpoint: every
    webhook is lost, as when Stripe cannot reach us."""
    namespace = BusNamespace(amqp_url(), services=set(SERVICES), retry_delays_ms=[200, 1000])
    database_urls = {s: databases.unique_database_url(s) for s in SERVICES}
    names = (*SERVICES, "gateway", "stripe", "twilio")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = {
        **os.environ,
        "SETTLE_ENV": "development",
        "JWT_SECRET": secrets.token_urlsafe(32),
        "AMQP_URL": namespace.amqp_url,
        "BUS_NAMESPACE": namespace.name,
        "BUS_RETRY_DELAYS_MS": ",".join(map(str, namespace.retry_delays_ms)),
        "LOG_LEVEL": "INFO",
        "GATEWAY_PORT": str(ports["gateway"]),
        "STRIPE_API_BASE": f"http://127.0.0.1:{ports['stripe']}",
        "STRIPE_API_KEY": "sk_test_settle_e2e",
        "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(16)}",
        "TWILIO_API_BASE": f"http://127.0.0.1:{ports['twilio']}",
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        # Twilio's callbacks come through the gateway; a short call timeout keeps a dead sender's claim short.
        "NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
        "NOTIFICATIONS_TWILIO_TIMEOUT_S": "3",
    }
    for service in SERVICES:
        upper = service.upper()
        env[f"{upper}_DATABASE_URL"] = database_urls[service]
        env[f"{upper}_PORT"] = str(ports[service])
        env[f"GATEWAY_{upper}_URL"] = f"http://127.0.0.1:{ports[service]}"
    env["BOOKINGS_BILLING_URL"] = f"http://127.0.0.1:{ports['billing']}"
    env["BILLING_MESSAGING_URL"] = f"http://127.0.0.1:{ports['messaging']}"
    # Invoices' payment links (/pay/{code}) are served through the gateway.
    env["BILLING_PUBLIC_URL"] = f"http://127.0.0.1:{ports['gateway']}"
    # Paid messages: billing for purchases, download links through the gateway, files kept apart.
    env["MESSAGING_BILLING_URL"] = f"http://127.0.0.1:{ports['billing']}"
    env["MESSAGING_PUBLIC_URL"] = f"http://127.0.0.1:{ports['gateway']}"
    env["MESSAGING_ATTACHMENTS_DIR"] = tempfile.mkdtemp(prefix="settle-attachments-")
    env.update(extra_env or {})
    platform = Platform(
        env=env,
        gateway_url=f"http://127.0.0.1:{ports['gateway']}",
        stripe_url=f"http://127.0.0.1:{ports['stripe']}",
        twilio_url=f"http://127.0.0.1:{ports['twilio']}",
        service_urls={s: f"http://127.0.0.1:{ports[s]}" for s in SERVICES},
        database_urls=database_urls,
        namespace=namespace,
        log_dir=Path(tempfile.mkdtemp(prefix="settle-e2e-")),
    )
    log_dirs.append(platform.log_dir)
    try:
        for service in SERVICES:
            subprocess.run([sys.executable, "-m", f"{service}.migrate"], env=env, check=True, capture_output=True)
        stripe_args = ["--host", "127.0.0.1", "--port", str(ports["stripe"])]
        if stripe_webhooks:
            stripe_args += ["--webhook-url", f"{platform.gateway_url}/v1/webhooks/stripe", "--webhook-secret", env["STRIPE_WEBHOOK_SECRET"]]
        platform.start_process("stripe", "stripe_sim", *stripe_args)
        wait_port(ports["stripe"])
        platform.start_process(
            "twilio", "twilio_sim", "--host", "127.0.0.1", "--port", str(ports["twilio"]), "--auth-token", env["TWILIO_AUTH_TOKEN"],
            "--inbound-url", f"{platform.gateway_url}/v1/webhooks/twilio/inbound", "--step-delay", "0.05",
        )
        wait_port(ports["twilio"])
        for service in SERVICES:
            platform.start_process(service, service)
        platform.start_process("gateway", "gateway")
        platform.wait_ready(platform.gateway_url)
    except BaseException:
        platform.stop()
        raise
    return platform
