"""A small HTTP/1.1 server (asyncio + httptools) that calls the simulator synchronously.

Used by the CLI instead of a general ASGI server: per request it saves an asyncio task, the ASGI
message dictionaries and one socket write, which is most of the cost of a create or confirm.
The ASGI app (`create_app`) stays available for embedding.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from http import HTTPStatus
from urllib.parse import unquote

import httptools

log = logging.getLogger("stripe_sim.server")

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
MAX_BODY = 16 * 1024 * 1024
CONTROL_LATENCY = "/_sim/latency"


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("app", "transport", "parser", "url", "headers", "body", "closing")

    def __init__(self, app) -> None:
        self.app = app
        self.transport = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.headers: dict = {}
        self.body: list = []
        self.closing = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reply(400, [], b"", close=True)
        except httptools.HttpParserError:
            self._reply(400, [], b"bad request", close=True)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.transport is None:
            return
        method = self.parser.get_method().decode()
        raw = self.url
        q = raw.find(b"?")
        if q >= 0:
            path, query = raw[:q], raw[q + 1:]
        else:
            path, query = raw, b""
        path = unquote(path.decode("latin-1"))
        body = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        if path == CONTROL_LATENCY and method == "POST":
            # Simulator control, outside Stripe's API: `POST /_sim/latency?seconds=2` (0 turns it off).
            self.app.sim.config.latency_s = float(dict(p.split("=", 1) for p in query.decode().split("&") if "=" in p).get("seconds", 0))
            self._reply(200, [(b"content-type", b"application/json")], b'{"latency_s": %s}' % str(self.app.sim.config.latency_s).encode())
            return
        try:
            status, headers, payload = self.app.handle(method, path, query, self.headers, body)
        except Exception:  # the app answers its own errors; this is a last resort
            log.exception("unhandled error")
            status, headers, payload = 500, [(b"content-type", b"text/plain")], b"internal error"
        close = not self.parser.should_keep_alive()
        latency = self.app.sim.config.latency_s
        if latency > 0:
            # A slow Stripe: the work is done now, the answer leaves later (in order: equal delays).
            asyncio.get_running_loop().call_later(latency, self._reply, status, headers, payload, close)
        else:
            self._reply(status, headers, payload, close=close)

    def _reply(self, status: int, headers: list, payload: bytes, close: bool = False) -> None:
        if self.transport is None:
            return
        parts = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))]
        for k, v in headers:
            parts.append(k + b": " + v + b"\r\n")
        parts.append(b"content-length: %d\r\n" % len(payload))
        if close:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        parts.append(payload)
        self.transport.write(b"".join(parts))
        if close:
            self.transport.close()


async def serve(app, host: str, port: int, stop: asyncio.Event, started: threading.Event | None = None) -> None:
    loop = asyncio.get_running_loop()
    await app._startup()
    server = await loop.create_server(lambda: HttpProtocol(app), host, port, reuse_address=True, backlog=1024)
    if started is not None:
        started.set()
    try:
        await stop.wait()
    finally:
        server.close()
        await app._shutdown()


def _new_loop_runner():
    try:
        import uvloop

        return uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop


def run(app, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then save state (if persisted) and exit."""
    loop = _new_loop_runner()()
    asyncio.set_event_loop(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    try:
        loop.run_until_complete(serve(app, host, port, stop))
    finally:
        loop.close()


class ThreadedServer:
    """The fast server in a background thread with its own event loop (tests, embedding)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._started = threading.Event()
        self._loop = None
        self._stop = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        loop = _new_loop_runner()()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._stop = asyncio.Event()
        try:
            loop.run_until_complete(serve(self.app, self.host, self.port, self._stop, self._started))
        except BaseException as e:  # surfaced by start()
            self._error = e
            self._started.set()
        finally:
            loop.close()

    def start(self, timeout: float = 10.0) -> "ThreadedServer":
        self._thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            raise RuntimeError(f"stripe simulator did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
