"""Fixtures: a real simulator on a loopback port, the SDK pointed at it, and a webhook receiver."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from twilio.rest import Client

from twilio_sim.background import running_simulator
from twilio_sim.client import base_url_http_client
from twilio_sim.control_client import SimulatorControl

AUTH_TOKEN = "test-suite-auth-token"
ACCOUNT_SID = "AC" + "1" * 32


class Receiver:
    """A tiny real HTTP server that records every POST it gets, for checking webhooks."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "params": dict(parse_qsl(raw, keep_blank_values=True)),
                        }
                    )
                    receiver.lock.notify_all()
                body = b"<?xml version='1.0' encoding='UTF-8'?><Response/>"
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_for(self, count: int, path: str | None = None, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                matching = [r for r in self.requests if path is None or r["path"] == path]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"got {len(matching)} requests to {path}, wanted {count}: {matching}")
                self.lock.wait(remaining)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def sim_server():
    # One server for the run; every test starts from a reset, which the reset endpoint provides.
    with running_simulator(auth_token=AUTH_TOKEN, step_delay=0.02, account_sid=ACCOUNT_SID) as url:
        yield url


@pytest.fixture
def control(sim_server):
    control = SimulatorControl(sim_server)
    control.reset()
    yield control
    control.close()


@pytest.fixture
def sim_url(sim_server, control):
    return sim_server


@pytest.fixture
def twilio(sim_url):
    return Client(ACCOUNT_SID, "any-token", http_client=base_url_http_client(sim_url))


@pytest.fixture
def account_sid():
    return ACCOUNT_SID


@pytest.fixture
def auth_token():
    return AUTH_TOKEN
