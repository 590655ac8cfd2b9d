"""Pytest fixtures for real-infrastructure tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from settle_testing import databases
from settle_testing.broker import BusNamespace
from settle_testing.infra import amqp_url, postgres_url


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return postgres_url()


@pytest.fixture(scope="session")
def broker_url() -> str:
    return amqp_url()


@pytest_asyncio.fixture
async def bus_namespace(broker_url: str) -> AsyncIterator[BusNamespace]:
    namespace = BusNamespace(broker_url)
    yield namespace
    await namespace.delete()


@pytest_asyncio.fixture
async def database_factory(pg_server_url: str) -> AsyncIterator:
    """`await database_factory("label")` -> URL of a new empty database, dropped after the test."""
    created: list[str] = []

    async def make(label: str = "db") -> str:
        url = await databases.create(label)
        created.append(url)
        return url

    yield make
    for url in created:
        await databases.drop(url)
