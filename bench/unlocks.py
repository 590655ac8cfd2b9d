"""Unlock benchmark: card purchases of paid messages, from Stripe's signed
`checkout.session.completed` to the buyer being able to fetch the attachments.

Starts every service as a process (fresh databases, the Stripe simulator without a webhook
endpoint, so only our own signed events arrive). Prepares purchases the way buyers make them
(a paid message each buyer has not bought, POST /v1/messages/{id}/purchase through the gateway,
the Checkout Session paid in the simulator), then measures:
  - unlocks/s: a burst of completed-session events posted as fast as 32 connections allow, until
    the last buyer's grant is committed (what GET /v1/messages/{id}/attachments answers 200 on);
  - p50/p99 from the event's POST to the grant, at a steady rate;
beside bench/webhooks.py's receipt figures (payment_intent.succeeded -> receipt) on the same
platform in the same run. The path measured: the webhook stored and processed by billing (the
payment recorded once, billing.payment.succeeded through the outbox), messaging's consumer
completing the purchase and granting access, numbered in the conversation's live feed.

    .venv/bin/python bench/unlocks.py [--unlocks 400] [--rate 40] [--seconds 10] [--receipts 400]

Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import stripe

from settle_kit.db import asyncpg_dsn
from settle_testing.platform import start_platform

sys.path.insert(0, str(Path(__file__).parent))
import webhooks  # noqa: E402

BUYERS = 40
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(1024)


async def prepare_purchases(platform, client: httpx.AsyncClient, count: int) -> list[dict]:
    """`count` card purchases paid in the simulator; returns their completed-session events (unsent)."""
    gw, run = platform.gateway_url, uuid.uuid4().hex[:8]
    seller = f"seller-{run}"
    buyers = [f"buyer-{run}-{i}" for i in range(BUYERS)]
    talk = (await client.post(gw + "/v1/conversations", json={"participant_ids": buyers}, headers=platform.headers(seller))).json()
    messages = []
    for _ in range(-(-count // BUYERS)):
        upload = await client.post(gw + "/v1/attachments", files={"file": ("p.png", PNG, "image/png")}, headers=platform.headers(seller))
        body = {"body": "bench", "attachment_ids": [upload.json()["id"]], "price": {"amount": 400, "currency": "usd"}}
        messages.append((await client.post(gw + f"/v1/conversations/{talk['id']}/messages", json=body, headers=platform.headers(seller))).json())
    pairs = [(m["id"], b) for m in messages for b in buyers][:count]
    stripe_client = stripe.StripeClient(platform.env["STRIPE_API_KEY"], base_addresses={"api": platform.stripe_url}, http_client=stripe.HTTPXClient())
    semaphore = asyncio.Semaphore(16)

    async def one(message_id: str, buyer: str) -> dict:
        async with semaphore:
            response = await client.post(gw + f"/v1/messages/{message_id}/purchase", json={"method": "card"},
                                         headers={**platform.headers(buyer), "Idempotency-Key": str(uuid.uuid4())})
            if response.status_code != 201:
                raise SystemExit(f"could not buy: {response.status_code} {response.text}")
            session_id = response.json()["checkout_url"].rsplit("/", 1)[-1]
            await stripe_client.raw_request_async("post", f"/v1/test_helpers/checkout/sessions/{session_id}/complete")
            session = await stripe_client.v1.checkout.sessions.retrieve_async(session_id)
            return {"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
                    "created": int(time.time()), "data": {"object": session.to_dict()}}

    return await asyncio.gather(*(one(m, b) for m, b in pairs))


def _purchase_of(event: dict) -> str:
    return event["data"]["object"]["metadata"]["reference_id"]


async def watch_grants(platform, purchase_ids: set[str], interval: float, timeout: float = 300) -> dict[str, float]:
    """When each purchase's grant was first seen committed in messaging's database (polled every
    `interval`: reading it through the gateway this often would cost more CPU than the work)."""
    pending = set(purchase_ids)
    seen: dict[str, float] = {}
    conn = await asyncpg.connect(asyncpg_dsn(platform.database_urls["messaging"]))
    try:
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            rows = await conn.fetch("SELECT purchase_id FROM message_unlocks WHERE purchase_id = ANY($1::text[])", list(pending))
            now = time.time()
            for row in rows:
                pending.discard(row["purchase_id"])
                seen[row["purchase_id"]] = now
            await asyncio.sleep(interval)
    finally:
        await conn.close()
    return seen


async def run(platform, unlocks: int, rate: int, seconds: int) -> None:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        burst = await prepare_purchases(platform, client, unlocks)
        steady = await prepare_purchases(platform, client, rate * seconds)

    ids = {_purchase_of(e) for e in burst}
    watch = asyncio.create_task(watch_grants(platform, ids, interval=0.05))
    start = time.time()
    await webhooks.post_events(platform, burst, None, tag=_purchase_of)
    found = await watch
    if len(found) < len(ids):
        raise SystemExit(f"only {len(found)} of {len(ids)} purchases unlocked")
    burst_s = max(found.values()) - start

    steady_ids = {_purchase_of(e) for e in steady}
    watch = asyncio.create_task(watch_grants(platform, steady_ids, interval=0.005))
    _, sent_at = await webhooks.post_events(platform, steady, rate, tag=_purchase_of)
    found = await watch
    latencies = sorted((found[p] - sent_at[p]) * 1000 for p in sent_at if p in found)

    print()
    print("Settle unlock benchmark (whole platform as processes, this machine)")
    print(f"  unlocked (checkout completed -> access)     {unlocks / burst_s:8.0f} unlocks/s  ({unlocks} purchases)")
    print(f"  completed -> access at {rate}/s for {seconds}s        p50 {statistics.median(latencies):6.1f} ms   "
          f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:6.1f} ms   ({len(latencies)}/{len(sent_at)} purchases)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--unlocks", type=int, default=400)
    parser.add_argument("--rate", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--receipts", type=int, default=400, help="events of bench/webhooks.py's run beside it (0: none)")
    args = parser.parse_args()
    # Rate limits raised: the load comes from few callers (and one address) on purpose.
    platform = start_platform({"LOG_LEVEL": "WARNING", "GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_RATE_LIMIT_BY_ADDRESS": "1000000/second"},
                              stripe_webhooks=False)
    try:
        if args.receipts:
            asyncio.run(webhooks.run(platform, args.receipts, args.rate, args.seconds))
        asyncio.run(run(platform, args.unlocks, args.rate, args.seconds))
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
