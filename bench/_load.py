"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections sending requests
that were serialised before the clock started, responses parsed by httptools (uvicorn's C parser).

The load generator shares the machine's two cores with the platform it measures, so every
microsecond it spends per request is taken from the platform: aiohttp's client cost about
0.2 ms of CPU per request, this one a fraction of that. (pgbench's client, beside which the
figures are printed, is C for the same reason.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httptools


def request_bytes(method: str, url: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection with one request in flight at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.body: list[bytes] = []

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body, self.body = b"".join(self.body), []
        self.waiter.set_result((self.parser.get_status_code(), body))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def connect(url: str) -> _Connection:
    parts = urlsplit(url)
    _, connection = await asyncio.get_running_loop().create_connection(_Connection, parts.hostname, parts.port)
    return connection


Answer = Callable[[object, int, bytes], None]
Sent = Callable[[object], None]


def _ignore(tag: object) -> None:
    pass


async def drive(url: str, requests: Iterable[tuple[object, bytes]], concurrency: int, on_response: Answer,
                on_send: Sent = _ignore) -> None:
    """Sends every (tag, request) over `concurrency` connections, each as soon as a connection
    is free; `on_send(tag)` is told as it goes, `on_response(tag, status, body)` sees each answer."""
    queue: Iterator[tuple[object, bytes]] = iter(requests)
    connections = [await connect(url) for _ in range(concurrency)]

    async def worker(connection: _Connection) -> None:
        for tag, request in queue:
            on_send(tag)
            status, body = await connection.send(request)
            on_response(tag, status, body)

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.transport.close()


async def drive_at(url: str, requests: Iterable[tuple[object, bytes]], rate: float, connections: int,
                   on_response: Answer, on_send: Sent = _ignore) -> None:
    """Sends the requests at a steady `rate` whatever the answers take (an open loop, as
    webhooks arrive), over at most `connections` at once. `on_send(tag)` is told when a request
    is due, before it waits for a free connection: that wait is latency too."""
    free: asyncio.Queue[_Connection] = asyncio.Queue()
    opened = [await connect(url) for _ in range(connections)]
    for connection in opened:
        free.put_nowait(connection)
    clock = asyncio.get_running_loop().time
    start = clock()

    async def send(connection: _Connection, tag: object, request: bytes) -> None:
        try:
            status, body = await connection.send(request)
            on_response(tag, status, body)
        finally:
            free.put_nowait(connection)

    tasks = []
    try:
        for i, (tag, request) in enumerate(requests):
            if (delay := start + i / rate - clock()) > 0:
                await asyncio.sleep(delay)
            on_send(tag)
            tasks.append(asyncio.create_task(send(await free.get(), tag, request)))
        await asyncio.gather(*tasks)
    finally:
        for connection in opened:
            connection.transport.close()
