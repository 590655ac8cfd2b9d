"""Credit ledger benchmark: debits/s through the gateway, on one hot wallet and spread over many.

Starts every service as a process (fresh databases), funds the wallets with admin adjustments,
then sends `POST /v1/balance/debits` (service role, Idempotency-Key, a unique reference each)
with a fixed number in flight:
  - spread: each debit picks one of `--wallets` wallets at random;
  - hot: every debit hits the same wallet (they queue on its row lock).
Afterwards it checks for drift: every wallet's balance must equal what it was funded with minus
the debits that succeeded, equal the sum of its ledger entries, and all entries must sum to zero.
pgbench's tpcb-like tps on the same PostgreSQL is measured in the same run (a tpcb transaction is
itself a small ledger update).

    .venv/bin/python bench/ledger.py [--debits 4000] [--wallets 1000] [--concurrency 64]

Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

from settle_kit.db import asyncpg_dsn
from settle_testing.infra import postgres_url
from settle_testing.platform import start_platform

sys.path.insert(0, str(Path(__file__).parent))
import _load  # noqa: E402
from _pgbench import pgbench_tps  # noqa: E402

FUNDS = Decimal(1_000_000)


async def fund(platform, client: httpx.AsyncClient, users: list[str]) -> None:
    semaphore = asyncio.Semaphore(32)
    admin = platform.headers("bench-admin", "admin")

    async def one(user: str) -> None:
        async with semaphore:
            response = await client.post(
                platform.gateway_url + "/v1/admin/balance-adjustments",
                json={"user_id": user, "amount": str(FUNDS), "description": "bench funds"},
                headers=admin,
            )
            response.raise_for_status()

    await asyncio.gather(*(one(u) for u in users))


async def debits(platform, users: list[str], count: int, concurrency: int) -> tuple[float, dict[str, Decimal]]:
    """Sends `count` debits of 1.5 credits over `users`; returns seconds and what each user spent.
    The requests are serialised before the clock starts (see _load: the client shares the cores)."""
    service = platform.headers("bench-shop", "service")
    run = uuid.uuid4().hex[:8]
    spent = {u: Decimal(0) for u in users}
    failures: list[str] = []
    url = platform.gateway_url + "/v1/balance/debits"
    requests = []
    for i in range(count):
        user = random.choice(users)
        body = {"user_id": user, "amount": "1.5", "description": "bench", "reference_type": "bench", "reference_id": f"{run}-{i}"}
        headers = {**service, "Idempotency-Key": f"{run}-{i}", "Content-Type": "application/json"}
        requests.append((user, _load.request_bytes("POST", url, headers, json.dumps(body).encode())))

    def answered(user: str, status: int, body: bytes) -> None:
        if status == 201:
            spent[user] += Decimal("1.5")
        else:
            failures.append(f"{status} {body[:200]!r}")

    start = time.perf_counter()
    await _load.drive(platform.gateway_url, requests, concurrency, answered)
    seconds = time.perf_counter() - start
    if failures:
        print(f"  {len(failures)} debits failed, e.g. {failures[0]}")
    return seconds, spent


async def drift(database_url: str, expected: dict[str, Decimal]) -> tuple[int, Decimal, int]:
    """(wallets whose balance is not what the debits left, sum of all entries, wallets whose
    balance differs from the sum of their entries)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        balances = dict(await conn.fetch("SELECT user_id, balance FROM credit_accounts WHERE kind = 'wallet'"))
        total = await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM credit_entries")
        mismatched = await conn.fetchval(
            """SELECT count(*) FROM credit_accounts a
               WHERE a.kind = 'wallet' AND a.balance <> (SELECT sum(e.amount) FROM credit_entries e WHERE e.account_id = a.id)"""
        )
    finally:
        await conn.close()
    wrong = sum(1 for user, balance in expected.items() if balances.get(user) != balance)
    return wrong, total, mismatched


async def run(platform, count: int, wallets: int, concurrency: int) -> dict[str, float]:
    spread_users = [f"bench_{i}_{uuid.uuid4().hex[:6]}" for i in range(wallets)]
    hot_user = f"bench_hot_{uuid.uuid4().hex[:6]}"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await fund(platform, client, [*spread_users, hot_user])
        await debits(platform, spread_users, 200, concurrency)  # warm-up: connections, pools, caches
        expected = {u: FUNDS for u in spread_users}
        expected[hot_user] = FUNDS
        warm_spent = await _balances(platform, client, spread_users)
        spread_s, spread_spent = await debits(platform, spread_users, count, concurrency)
        hot_s, hot_spent = await debits(platform, [hot_user], count, concurrency)
    for user in spread_users:
        expected[user] = warm_spent[user] - spread_spent[user]
    expected[hot_user] -= hot_spent[hot_user]
    wrong, total, mismatched = await drift(platform.database_urls["billing"], expected)
    return {
        "spread": count / spread_s,
        "hot": count / hot_s,
        "wrong": wrong,
        "total": total,
        "mismatched": mismatched,
    }


async def _balances(platform, client: httpx.AsyncClient, users: list[str]) -> dict[str, Decimal]:
    admin = platform.headers("bench-admin", "admin")
    semaphore = asyncio.Semaphore(32)

    async def one(user: str) -> tuple[str, Decimal]:
        async with semaphore:
            response = await client.get(platform.gateway_url + "/v1/balance", params={"user_id": user}, headers=admin)
            return user, Decimal(response.json()["credits"])

    return dict(await asyncio.gather(*(one(u) for u in users)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debits", type=int, default=4000)
    parser.add_argument("--wallets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    postgres_url()
    tps = pgbench_tps()
    # Rate limits raised: the load comes from one caller (and one address) on purpose.
    platform = start_platform({"LOG_LEVEL": "WARNING", "GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_RATE_LIMIT_BY_ADDRESS": "1000000/second"})
    try:
        figures = asyncio.run(run(platform, args.debits, args.wallets, args.concurrency))
    finally:
        platform.stop()
    print()
    print(f"Settle ledger benchmark (whole platform as processes, this machine, {args.concurrency} in flight)")
    print(f"  debits spread over {args.wallets} wallets        {figures['spread']:8.0f} debits/s  ({figures['spread'] / tps:.0%} of pgbench)")
    print(f"  debits on one hot wallet              {figures['hot']:8.0f} debits/s")
    print(f"  pgbench tpcb-like, same PostgreSQL    {tps:8.0f} tps")
    print(f"  drift: {figures['wrong']} wallets off what their debits left, {figures['mismatched']} off their entries; "
          f"all entries sum to {figures['total']}")


if __name__ == "__main__":
    main()
