"""Notifications running for real: its own database and bus namespace, uvicorn on a loopback
port (so the Twilio simulator's signed callbacks reach it), Twilio through the SDK against
`simulators/twilio`."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from dataclasses import dataclass
from datetime import datetime

import aio_pika
import asyncpg
import httpx
import pytest

from settle_contracts import Envelope, Event
from settle_kit.auth import mint_token
from settle_kit.bus.messages import build_message
from settle_kit.db import asyncpg_dsn, drop_database
from settle_kit.migrations import migrate
from settle_testing import databases
from settle_testing.broker import BusNamespace
from settle_testing.platform import free_port
from settle_testing.servers import serve_in_thread
from twilio_sim.background import running_simulator
from twilio_sim.control_client import SimulatorControl

from notifications.app import create_app
from notifications.config import Settings
from notifications.migrate import ALEMBIC_INI

TWILIO_TOKEN = "notifications-tests-auth-token"
ACCOUNT_SID = "AC" + "7" * 32


@dataclass
class Running:
    url: str
    app: object
    settings: Settings
    twilio: SimulatorControl
    namespace: BusNamespace
    http: httpx.Client

    def headers(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.settings.jwt_secret.get_secret_value(), user_id)[0]}"}

    def publish(self, event: Event, times: int = 1, producer: str = "billing") -> Envelope:
        """Publishes one event `times` times (the same envelope: a redelivery), as the relay would."""
        envelope = Envelope.wrap(event, producer=producer)
        asyncio.run(_publish(self.namespace, envelope, times))
        return envelope

    def send_item(self, sms_id: str) -> dict | None:
        """The SMS's item in the sender's queue (status, outcome, next_attempt_at): what the sender decided."""
        async def read():
            conn = await asyncpg.connect(asyncpg_dsn(self.settings.database_url))
            try:
                row = await conn.fetchrow("SELECT status, outcome, next_attempt_at FROM sms_sends WHERE id = $1", sms_id)
                return dict(row) if row else None
            finally:
                await conn.close()

        return asyncio.run(read())

    def set_clock(self, instant: datetime) -> None:
        self.app.state.clock.set(instant)

    def texts(self, user_id: str) -> list[dict]:
        answer = self.http.get(f"{self.url}/v1/sms", params={"limit": 100}, headers=self.headers(user_id))
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def text(self, user_id: str, sms_id: str) -> dict | None:
        return next((t for t in self.texts(user_id) if t["id"] == sms_id), None)

    def wait_text(self, user_id: str, sms_id: str, *statuses: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = self.text(user_id, sms_id)
            if found is not None and found["status"] in statuses:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"SMS {sms_id} is {found}, not {statuses}")
            time.sleep(0.05)


async def _publish(namespace: BusNamespace, envelope: Envelope, times: int) -> None:
    connection = await aio_pika.connect(namespace.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await namespace.topology.declare_events_exchange(channel)
        for _ in range(times):
            await exchange.publish(build_message(envelope.model_dump(mode="json"), {}), envelope.type)


def make_settings(database_url: str, namespace: BusNamespace, twilio_url: str, port: int, **overrides) -> Settings:
    values = dict(
        database_url=database_url, amqp_url=namespace.amqp_url, bus_namespace=namespace.name,
        bus_retry_delays_ms=namespace.retry_delays_ms, port=port, public_url=f"http://127.0.0.1:{port}",
        twilio_api_base=twilio_url, twilio_auth_token=TWILIO_TOKEN, twilio_account_sid=ACCOUNT_SID,
        twilio_timeout_s=3, send_poll_interval_s=0.1, unconfirmed_retry_after_s=2, log_level="WARNING",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def twilio_sim():
    with running_simulator(auth_token=TWILIO_TOKEN, account_sid=ACCOUNT_SID, step_delay=0.02) as url:
        control = SimulatorControl(url)
        yield url, control
        control.close()


@pytest.fixture
def notifications_db(pg_server_url: str):
    url = databases.unique_database_url("notifications")
    with contextlib.redirect_stdout(io.StringIO()):
        migrate(Settings(database_url=url), ALEMBIC_INI)
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture
def namespace(broker_url: str):
    namespace = BusNamespace(broker_url, services={"notifications"}, retry_delays_ms=[50, 100])
    yield namespace
    asyncio.run(namespace.delete())


@pytest.fixture
def service_overrides() -> dict:
    """Settings a test module changes (override this fixture)."""
    return {}


@pytest.fixture
def service(notifications_db, namespace, twilio_sim, service_overrides):
    twilio_url, control = twilio_sim
    port = free_port()
    settings = make_settings(notifications_db, namespace, twilio_url, port, **service_overrides)
    control.settings(inbound_url=f"{settings.public_url}/v1/webhooks/twilio/inbound")
    app = create_app(settings)
    with serve_in_thread(app, port) as url, httpx.Client(timeout=10) as http:
        deadline = time.monotonic() + 20
        while http.get(url + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, "notifications not ready"
            time.sleep(0.05)
        yield Running(url, app, settings, control, namespace, http)
