"""Webhook benchmark: signed `payment_intent.succeeded` events through the whole platform.

Starts every service as a process (fresh databases, the Stripe simulator without a webhook
endpoint, so only our own signed events arrive), prepares payments whose PaymentIntents have
succeeded in the simulator, then measures:
  - events/s accepted (2xx from POST /v1/webhooks/stripe through the gateway) and fully processed
    (the receipt system message exists in the conversation);
  - p50/p99 latency from the webhook POST to the receipt being readable through the gateway, at a
    steady rate;
beside pgbench's tpcb-like tps on the same PostgreSQL in the same run.

Then the same again with Stripe answering after `--stripe-latency` seconds (2 by default; 0 skips
it), while payments that do need Stripe are asked for at `--stripe-load` per second beside the
webhooks (each waits on Stripe): the webhooks need no Stripe call, so their figures must stay as
in the normal run (issue 17: no outside call holds a database connection).

    .venv/bin/python bench/webhooks.py [--events 1000] [--rate 200] [--seconds 10] [--stripe-latency 2] [--stripe-load 5]

Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import stripe

from settle_kit.db import asyncpg_dsn
from settle_testing.infra import postgres_url
from settle_testing.platform import start_platform

sys.path.insert(0, str(Path(__file__).parent))
import _load  # noqa: E402
from _pgbench import pgbench_tps  # noqa: E402


def signed(secret: str, event: dict) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


async def prepare_payments(platform, client: httpx.AsyncClient, count: int) -> tuple[str, list[dict]]:
    gw, ann = platform.gateway_url, platform.headers("ann")
    project = (await client.post(gw + "/v1/projects", json={"title": "Bench"}, headers=ann)).json()
    await client.post(gw + f"/v1/projects/{project['id']}/members", json={"user_id": "ben"}, headers=ann)
    conversation = (await client.post(gw + "/v1/conversations", json={"participant_ids": ["ben"], "project_id": project["id"]}, headers=ann)).json()
    body = {"payee_id": "ben", "project_id": project["id"], "conversation_id": conversation["id"], "amount": 3000, "currency": "usd"}
    while (await client.post(gw + "/v1/payments", json=body, headers={**ann, "Idempotency-Key": f"warmup-{uuid.uuid4()}"})).status_code == 404:
        await asyncio.sleep(0.1)  # billing learns of the conversation from messaging's events
    stripe_client = stripe.StripeClient(platform.env["STRIPE_API_KEY"], base_addresses={"api": platform.stripe_url}, http_client=stripe.HTTPXClient())
    semaphore = asyncio.Semaphore(16)
    run = uuid.uuid4().hex[:8]

    async def one(i: int) -> dict:
        async with semaphore:
            response = await client.post(gw + "/v1/payments", json=body, headers={**ann, "Idempotency-Key": f"bench-{run}-{i}"})
            if response.status_code != 201:
                raise SystemExit(f"could not create a payment: {response.status_code} {response.text}")
            payment = response.json()
            intent = await stripe_client.v1.payment_intents.confirm_async(payment["stripe_payment_intent_id"], params={"payment_method": "pm_card_visa"})
            return {"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
                    "created": int(time.time()), "data": {"object": intent.to_dict()}}

    return conversation["id"], await asyncio.gather(*(one(i) for i in range(count)))


def _payment_of(event: dict) -> str:
    return event["data"]["object"]["metadata"]["payment_id"]


async def post_events(platform, events: list[dict], rate: float | None, tag=_payment_of) -> tuple[float, dict[str, float]]:
    """Posts signed events, as fast as 32 connections allow or at a steady `rate`, and returns
    when each was sent by `tag(event)`. Bodies are signed and serialised before the clock starts
    (see _load: the client shares the cores)."""
    secret, url = platform.env["STRIPE_WEBHOOK_SECRET"], platform.gateway_url + "/v1/webhooks/stripe"
    sent_at: dict[str, float] = {}
    requests = []
    for event in events:
        payload, signature = signed(secret, event)
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        requests.append((tag(event), _load.request_bytes("POST", url, headers, payload)))

    def answered(payment_id: str, status: int, body: bytes) -> None:
        if status != 200:
            raise SystemExit(f"a webhook was refused: {status} {body[:200]!r}")

    def stamp(payment_id: str) -> None:
        sent_at[payment_id] = time.time()

    start = time.perf_counter()
    if rate is None:
        await _load.drive(platform.gateway_url, requests, 32, answered, stamp)
    else:
        await _load.drive_at(platform.gateway_url, requests, rate, 32, answered, stamp)
    return time.perf_counter() - start, sent_at


async def readable_receipts(platform, client: httpx.AsyncClient, conversation_id: str) -> set[str]:
    """The payments whose success receipt is readable through the gateway (read once, at the end)."""
    found: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 100, **({"starting_after": cursor} if cursor else {})}
        page = (await client.get(platform.gateway_url + f"/v1/conversations/{conversation_id}/messages", params=params, headers=platform.headers("ann"))).json()
        found |= {m["payment_id"] for m in page["data"] if m["kind"] == "system" and m.get("payment_id") and "succeeded" in m["body"]}
        if not page["has_more"]:
            return found
        cursor = page["data"][-1]["id"]


async def watch_receipts(platform, payment_ids: set[str], interval: float, timeout: float = 300) -> dict[str, float]:
    """When each payment's receipt was first seen committed in messaging's database, looked up by
    the receipts' unique keys every `interval`. (A receipt's created_at is when the payment
    succeeded, not when the receipt could be read; paging through the gateway this often would
    cost the platform more CPU than the work being measured.)"""
    pending = {f"payment:{p}:succeeded": p for p in payment_ids}
    seen: dict[str, float] = {}
    conn = await asyncpg.connect(asyncpg_dsn(platform.database_urls["messaging"]))
    try:
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            rows = await conn.fetch("SELECT dedupe_key FROM messages WHERE dedupe_key = ANY($1::text[])", list(pending))
            now = time.time()
            for row in rows:
                seen[pending.pop(row["dedupe_key"])] = now
            await asyncio.sleep(interval)
    finally:
        await conn.close()
    return seen


async def slow_stripe_load(platform, per_second: float, outcomes: dict[int, int]) -> None:
    """Payments asked for at a steady rate (each creates a PaymentIntent: it waits on Stripe)."""
    gw, ann = platform.gateway_url, platform.headers("ann")
    async with httpx.AsyncClient(timeout=30) as client:
        project = (await client.post(gw + "/v1/projects", json={"title": "Slow Stripe"}, headers=ann)).json()
        await client.post(gw + f"/v1/projects/{project['id']}/members", json={"user_id": "ben"}, headers=ann)
        body = {"payee_id": "ben", "project_id": project["id"], "amount": 3000, "currency": "usd"}

        async def one() -> None:
            response = await client.post(gw + "/v1/payments", json=body, headers={**ann, "Idempotency-Key": str(uuid.uuid4())})
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1

        pending: set[asyncio.Task] = set()
        try:
            while True:
                task = asyncio.create_task(one())
                pending.add(task)
                task.add_done_callback(pending.discard)
                await asyncio.sleep(1 / per_second)
        finally:
            for task in pending:
                task.cancel()


async def set_stripe_latency(platform, seconds: float) -> None:
    async with httpx.AsyncClient() as client:
        (await client.post(platform.stripe_url + "/_sim/latency", params={"seconds": seconds})).raise_for_status()


async def run(platform, events_count: int, rate: int, seconds: int, stripe_latency: float = 0, stripe_load: float = 0) -> None:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        conversation_id, burst = await prepare_payments(platform, client, events_count)
        conversation_id_2, steady = await prepare_payments(platform, client, rate * seconds)
        outcomes: dict[int, int] = {}
        side_load = None
        if stripe_latency:
            await set_stripe_latency(platform, stripe_latency)
            if stripe_load:
                side_load = asyncio.create_task(slow_stripe_load(platform, stripe_load, outcomes))

        ids = {e["data"]["object"]["metadata"]["payment_id"] for e in burst}
        watch = asyncio.create_task(watch_receipts(platform, ids, interval=0.05))
        start = time.time()
        accept_s, _ = await post_events(platform, burst, rate=None)
        found = await watch
        if len(found) < len(ids) or not ids <= await readable_receipts(platform, client, conversation_id):
            raise SystemExit(f"only {len(found)} of {len(ids)} receipts arrived")
        processed_s = max(found.values()) - start  # until the last receipt was readable

        steady_ids = {e["data"]["object"]["metadata"]["payment_id"] for e in steady}
        watch = asyncio.create_task(watch_receipts(platform, steady_ids, interval=0.005))
        _, sent_at = await post_events(platform, steady, rate=rate)
        found = await watch
        latencies = sorted((found[p] - sent_at[p]) * 1000 for p in sent_at if p in found)

        if side_load is not None:
            side_load.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await side_load
        if stripe_latency:
            await set_stripe_latency(platform, 0)

    print()
    title = f"Stripe answering after {stripe_latency:g} s, {stripe_load:g} payments/s waiting on it ({outcomes})" if stripe_latency else "Stripe answering at once"
    print(f"Settle webhook benchmark (whole platform as processes, this machine): {title}")
    print(f"  accepted (2xx through the gateway)          {events_count / accept_s:8.0f} events/s")
    print(f"  fully processed (receipt readable)          {events_count / processed_s:8.0f} events/s  ({events_count} events)")
    print(f"  webhook -> receipt at {rate}/s for {seconds}s       p50 {statistics.median(latencies):6.1f} ms   "
          f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:6.1f} ms   ({len(latencies)}/{len(sent_at)} events)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--stripe-latency", type=float, default=2.0, help="a second run with Stripe this slow (0: none)")
    parser.add_argument("--stripe-load", type=float, default=5.0, help="payments/s asked for during it (each waits on Stripe)")
    args = parser.parse_args()
    postgres_url()
    tps = pgbench_tps()
    # Rate limits raised: the load comes from one caller (and one address) on purpose.
    platform = start_platform({"LOG_LEVEL": "WARNING", "GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_RATE_LIMIT_BY_ADDRESS": "1000000/second"},
                              stripe_webhooks=False)
    try:
        asyncio.run(run(platform, args.events, args.rate, args.seconds))
        if args.stripe_latency:
            asyncio.run(run(platform, args.events, args.rate, args.seconds, args.stripe_latency, args.stripe_load))
    finally:
        platform.stop()
    print(f"  pgbench tpcb-like on the same PostgreSQL     {tps:8.0f} tps")


if __name__ == "__main__":
    main()
