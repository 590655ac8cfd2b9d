"""Waits until a service's database is migrated for this image: the Kubernetes init step.

`python deploy/wait_for_migrations.py billing [--timeout 600]` exits 0 once the database's
alembic revision is this image's head, or one this image does not know (a newer release migrated
it: migrations only add, so an older pod still runs); it waits while the database is missing,
unmigrated, or behind (the migration Job has not run yet), and exits 1 after the timeout (the
kubelet then starts it again). It only reads: running migrations stays the Job's alone, since
alembic upgrades started at once from several replicas are not safe.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory

from settle_kit.db import asyncpg_dsn


def script_directory(service: str) -> ScriptDirectory:
    package = Path(importlib.import_module(service).__file__).resolve().parent
    alembic_ini = package.parents[1] / "alembic.ini"  # services/<name>/alembic.ini
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    return ScriptDirectory.from_config(config)


async def current_revisions(database_url: str) -> set[str] | None:
    """The database's alembic revisions; None when the database or its alembic table is missing."""
    try:
        conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=5)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        if not await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            return None
        return {row["version_num"] for row in await conn.fetch("SELECT version_num FROM alembic_version")}
    finally:
        await conn.close()


def waiting_for(scripts: ScriptDirectory, current: set[str] | None) -> str | None:
    """None when the service may start, else what it is waiting for."""
    heads = set(scripts.get_heads())
    if current is None:
        return "the database is not migrated yet"
    if current == heads:
        return None
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        return None  # migrated by a newer release than this image
    return f"the database is at {', '.join(sorted(current)) or 'no revision'}, this image needs {', '.join(sorted(heads))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--interval", type=float, default=2)
    args = parser.parse_args()

    settings = importlib.import_module(f"{args.service}.config").Settings()
    scripts = script_directory(args.service)
    deadline = time.monotonic() + args.timeout
    last = None
    while True:
        try:
            reason = waiting_for(scripts, asyncio.run(current_revisions(settings.database_url)))
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            reason = f"the database is unreachable ({exc.__class__.__name__}: {exc})"
        if reason is None:
            print(f"{args.service}: database migrated", flush=True)
            return
        if reason != last:
            print(f"{args.service}: waiting for the migration Job: {reason}", flush=True)
            last = reason
        if time.monotonic() > deadline:
            print(f"{args.service}: gave up after {args.timeout:.0f}s: {reason}", file=sys.stderr)
            sys.exit(1)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
