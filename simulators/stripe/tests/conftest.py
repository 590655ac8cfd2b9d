"""Fixtures: the simulator on a real loopback port, localstripe as a subprocess, webhook receivers."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from stripe_sim.testing import LocalStripe, Receiver, SimServer, make_client


@pytest.fixture(scope="session")
def sim_server():
    server = SimServer(retry_schedule=(0.2, 0.4, 0.8)).start()
    yield server
    server.stop()


@pytest.fixture
def start_sim():
    """Factory for a private simulator with its own configuration."""
    started: list[SimServer] = []

    def start(**options) -> SimServer:
        server = SimServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def localstripe_server():
    try:
        import localstripe  # noqa: F401
    except ImportError:
        pytest.skip("localstripe is not installed (dev dependency group)")
    server = LocalStripe()
    yield server
    server.stop()


@dataclass
class Backend:
    name: str
    url: str
    client: object
    server: object

    def register_webhook(self, url: str, events: list[str] | None = None):
        """Register a webhook endpoint; returns (secret, cleanup)."""
        if self.name == "localstripe":
            import httpx

            secret = "whsec_localstripe_" + os.urandom(8).hex()
            ep_id = "we_" + os.urandom(6).hex()
            payload = {"url": url, "secret": secret}
            if events:
                payload["events"] = events
            httpx.post(f"{self.url}/_config/webhooks/{ep_id}", json=payload).raise_for_status()

            def cleanup():
                # localstripe cannot remove an endpoint; leave it subscribed to nothing.
                httpx.post(f"{self.url}/_config/webhooks/{ep_id}",
                           json={"url": "http://127.0.0.1:9/", "secret": secret, "events": []})

            return secret, cleanup
        ep = self.client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events or ["*"]})
        return ep.secret, lambda: self.client.v1.webhook_endpoints.delete(ep.id)


@pytest.fixture(params=["simulator", "localstripe"])
def backend(request) -> Backend:
    if request.param == "simulator":
        server = request.getfixturevalue("sim_server")
    else:
        server = request.getfixturevalue("localstripe_server")
    return Backend(request.param, server.url, make_client(server.url), server)


@pytest.fixture
def client(sim_server):
    return make_client(sim_server.url)


@pytest.fixture
def receiver():
    rec = Receiver().start()
    yield rec
    rec.stop()
