"""Test support for code that runs against the simulator: a loopback server, localstripe, a webhook receiver.

Importable (unlike a conftest) so tests in other packages can use it too.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import create_app

SECRET_KEY = "sk_test_settle_simulator"
PUBLISHABLE_KEY = "pk_test_settle_simulator"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


class SimServer:
    """The simulator on a free loopback port, in a background thread.

    `asgi=True` serves the ASGI app through uvicorn instead of the simulator's own HTTP server."""

    def __init__(self, port: int | None = None, asgi: bool = False, **options) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options.setdefault("public_url", self.url)
        self.app = create_app(**options)
        self.asgi = asgi
        if asgi:
            import uvicorn

            config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                    lifespan="on", access_log=False)
            self.server = uvicorn.Server(config)
            self.thread = threading.Thread(target=self.server.run, daemon=True)
        else:
            from .server import ThreadedServer

            self.server = ThreadedServer(self.app, "127.0.0.1", self.port)

    def start(self) -> "SimServer":
        if not self.asgi:
            self.server.start()
            return self
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if not self.asgi:
            self.server.stop()
            return
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def sim(self):
        return self.app.sim


LOCALSTRIPE_BOOT = """
import socket, sys
import localstripe.resources as resources
# Persistence off: localstripe otherwise pickles its whole store to /tmp on every write.
resources.Store.dump_to_disk = lambda self: None
from aiohttp import web
from localstripe.server import app
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
web.run_app(app, sock=sock, print=None, access_log=None)
"""


class LocalStripe:
    """localstripe (GPL, dev-only) as a subprocess on a free loopback port, persistence off."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", LOCALSTRIPE_BOOT, str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class SimProcess:
    """`python -m stripe_sim` as a subprocess, for CLI and persistence checks."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "stripe_sim", "--port", str(self.port), *args],
                                     env={**os.environ, **(env or {})},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def make_client(url: str, key: str = SECRET_KEY):
    import stripe

    # No SDK retries: a test must see the first answer, not a retried one.
    return stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)


@dataclass
class Received:
    headers: dict
    body: bytes
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on loopback that records webhook deliveries."""

    statuses: list = field(default_factory=list)  # answers to give, in order; then 200
    received: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _httpd: object = None

    def start(self) -> "Receiver":
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with rec.lock:
                    rec.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                    status = rec.statuses.pop(0) if rec.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/webhooks/stripe"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait_for(self, predicate, count: int = 1, timeout: float = 10.0) -> list:
        deadline = time.time() + timeout
        hits: list = []
        while time.time() < deadline:
            with self.lock:
                hits = [r for r in self.received if predicate(r)]
            if len(hits) >= count:
                return hits
            time.sleep(0.02)
        with self.lock:
            seen = [r.event.get("type") for r in self.received]
        raise AssertionError(f"expected {count} matching deliveries, got {len(hits)}; saw {seen}")

    @staticmethod
    def of_type(type: str, object_id: str | None = None):
        def pred(r: Received) -> bool:
            ev = r.event
            return ev["type"] == type and (object_id is None or ev["data"]["object"].get("id") == object_id)

        return pred
