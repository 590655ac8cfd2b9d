"""Where the tests' PostgreSQL and RabbitMQ are.

`SETTLE_TEST_POSTGRES_URL` / `SETTLE_TEST_AMQP_URL` when set; otherwise the local servers on
their default ports when they answer (CI and dev machines run both); otherwise containers
started with testcontainers for the length of the run.
"""

from __future__ import annotations

import atexit
import functools
import os
import socket

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@functools.cache
def postgres_url() -> str:
    """SQLAlchemy URL of a server where tests may create and drop databases."""
    if url := os.environ.get("SETTLE_TEST_POSTGRES_URL"):
        return url
    if _listening("127.0.0.1", 5432):
        return LOCAL_POSTGRES
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer("postgres:16-alpine", driver="asyncpg").start()
    atexit.register(container.stop)
    return container.get_connection_url()


@functools.cache
def amqp_url() -> str:
    if url := os.environ.get("SETTLE_TEST_AMQP_URL"):
        return url
    if _listening("127.0.0.1", 5672):
        return LOCAL_AMQP
    from testcontainers.rabbitmq import RabbitMqContainer

    container = RabbitMqContainer("rabbitmq:3.13-management").start()
    atexit.register(container.stop)
    params = container.get_connection_params()
    return f"amqp://guest:guest@{params.host}:{params.port}/"
