"""pgbench's tpcb-like tps on the PostgreSQL the benchmarks use, as the yardstick beside them."""

from __future__ import annotations

import asyncio
import subprocess

from sqlalchemy.engine import make_url

from settle_testing import databases


def pgbench_tps(seconds: int = 10, clients: int = 8) -> float:
    url = asyncio.run(databases.create("pgbench"))
    try:
        parts = make_url(url)
        args = ["-h", parts.host or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
        subprocess.run(["pgbench", *args, "-i", "-q", "-s", "10", parts.database], check=True, capture_output=True)
        out = subprocess.run(
            ["pgbench", *args, "-c", str(clients), "-j", "2", "-T", str(seconds), "-b", "tpcb-like", parts.database],
            check=True, capture_output=True, text=True,
        ).stdout
        return float(next(line for line in out.splitlines() if line.startswith("tps")).split("=")[1].split()[0])
    finally:
        asyncio.run(databases.drop(url))
