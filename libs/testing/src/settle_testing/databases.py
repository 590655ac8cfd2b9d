"""Fresh, uniquely named databases for a test, dropped afterwards."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url

from settle_kit.db import drop_database, ensure_database
from settle_testing.infra import postgres_url


def unique_database_url(label: str) -> str:
    name = f"settle_t_{label}_{uuid.uuid4().hex[:10]}"
    return make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


async def create(label: str) -> str:
    url = unique_database_url(label)
    await ensure_database(url)
    return url


async def drop(url: str) -> None:
    await drop_database(url)
