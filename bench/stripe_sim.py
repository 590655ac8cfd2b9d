"""Benchmark: PaymentIntent create+confirm pairs per second against the Stripe simulator and localstripe.

Run: .venv/bin/python bench/stripe_sim.py [--pairs 5000] [--window 200] [--sdk]
Prints figures for the first `window` pairs and for `window` pairs after `pairs` pairs; no pass/fail.
Both servers run as subprocesses on free loopback ports; the client is one keep-alive HTTP connection
sending exactly what the stripe SDK sends (form-encoded, Bearer key, Idempotency-Key).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid

KEY = "sk_test_bench"

LOCALSTRIPE_BOOT = """
import socket, sys
import localstripe.resources as resources
resources.Store.dump_to_disk = lambda self: None  # persistence off
from aiohttp import web
from localstripe.server import app
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
web.run_app(app, sock=sock, print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def start(kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if kind == "simulator":
        cmd = [sys.executable, "-m", "stripe_sim", "--port", str(port)]
    else:
        cmd = [sys.executable, "-c", LOCALSTRIPE_BOOT, str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, proc)
    return proc, port


class RawClient:
    """One keep-alive socket and the bytes the stripe SDK would send; parses only what it needs, so the
    figure is the server's speed rather than http.client's."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.host = f"127.0.0.1:{port}".encode()

    def post(self, path: str, body: bytes) -> bytes:
        head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + self.host +
                b"\r\nAuthorization: Bearer " + KEY.encode() +
                b"\r\nContent-Type: application/x-www-form-urlencoded\r\nStripe-Version: 2026-10-28.endive"
                b"\r\nIdempotency-Key: " + uuid.uuid4().hex.encode() +
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        header, _, rest = self.buf.partition(b"\r\n\r\n")
        status = int(header[9:12])
        lower = header.lower() + b"\r\n"
        i = lower.find(b"content-length:")
        length = int(lower[i + 15:lower.find(b"\r\n", i)])
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buf = rest[length:]
        payload = rest[:length]
        if status != 200:
            raise RuntimeError(f"{path}: {status} {payload[:200]!r}")
        return payload

    def pair(self) -> None:
        created = self.post("/v1/payment_intents",
                            b"amount=2000&currency=usd&payment_method=pm_card_visa&metadata%5Border%5D=bench")
        start = created.find(b'"id":') + 5
        start = created.find(b'"', start) + 1
        pi_id = created[start:created.find(b'"', start)].decode()
        done = self.post(f"/v1/payment_intents/{pi_id}/confirm", b"")
        assert b'"status":"succeeded"' in done or b'"status": "succeeded"' in done, done[:300]


class SdkClient:
    def __init__(self, port: int) -> None:
        import stripe

        self.client = stripe.StripeClient(KEY, base_addresses={"api": f"http://127.0.0.1:{port}"},
                                          max_network_retries=0)

    def pair(self) -> None:
        pi = self.client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                                           "payment_method": "pm_card_visa",
                                                           "metadata": {"order": "bench"}})
        done = self.client.v1.payment_intents.confirm(pi.id)
        assert done.status == "succeeded", done.status


def rate(client, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        client.pair()
    return n / (time.perf_counter() - t0)


def run(kind: str, client_kind: str, pairs: int, window: int) -> list[float]:
    """Rates of consecutive windows of `window` pairs, from the first pair to `pairs + window`."""
    proc, port = start(kind)
    try:
        client = RawClient(port) if client_kind == "raw" else SdkClient(port)
        client.pair()  # connection set-up is not the server's speed
        return [rate(client, window) for _ in range(pairs // window + 1)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=5000)
    p.add_argument("--window", type=int, default=200)
    p.add_argument("--sdk", action="store_true", help="also measure through the stripe SDK (adds its overhead)")
    p.add_argument("--skip-localstripe", action="store_true")
    args = p.parse_args()
    clients = ["raw", "sdk"] if args.sdk else ["raw"]
    kinds = ["simulator"] if args.skip_localstripe else ["simulator", "localstripe"]
    w = args.window
    print(f"PaymentIntent create+confirm pairs/s, one client, {os.cpu_count()} CPUs")
    print(f"{'server':<12} {'client':<6} {'first ' + str(w):>10} {'after ' + str(args.pairs):>11}"
          f" {'median first 1000':>18} {'median last 1000':>17}")
    for client_kind in clients:
        for kind in kinds:
            rates = run(kind, client_kind, args.pairs, w)
            k = max(1, 1000 // w)
            head = sorted(rates[:k])[len(rates[:k]) // 2]
            tail = sorted(rates[-k:])[len(rates[-k:]) // 2]
            print(f"{kind:<12} {client_kind:<6} {rates[0]:>10.0f} {rates[-1]:>11.0f} {head:>18.0f} {tail:>17.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
