"""Pytest fixtures for real-infrastructure tests."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from settle_testing import databases, platform
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The platforms' log folders go once a run passed; after a failure they stay to be read."""
    if exitstatus == 0 and not session.testsfailed:
        for log_dir in platform.log_dirs:
            shutil.rmtree(log_dir, ignore_errors=True)
        platform.log_dirs.clear()


def pytest_terminal_summary(terminalreporter) -> None:
    kept = [d for d in platform.log_dirs if d.exists()]
    if kept:
        terminalreporter.write_sep("-", "logs of the platforms this run started")
        for log_dir in kept:
            terminalreporter.write_line(str(log_dir))
