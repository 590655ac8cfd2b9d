"""The outbox and inbox tables every service keeps in its own database.

Services create them in their first migration with `create_bus_tables()`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, MetaData, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

OUTBOX_CHANNEL = "settle_outbox"

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    # W3C trace context of the transaction that emitted the event.
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Index("outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("type", Text, nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def install(connection: Connection) -> None:
    """Outbox, inbox, and the trigger that wakes the relay on commit (sync connection)."""
    metadata.create_all(connection, tables=[outbox, inbox])
    # NOTIFY is delivered at commit, so the relay never wakes for a rolled-back event.
    connection.exec_driver_sql(
        f"""
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$
        """
    )
    connection.exec_driver_sql(
        "CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def create_bus_tables() -> None:
    """Alembic step for a service's first migration."""
    from alembic import op

    install(op.get_bind())


def drop_bus_tables() -> None:
    from alembic import op

    op.execute("DROP TRIGGER IF EXISTS outbox_inserted ON outbox; DROP FUNCTION IF EXISTS outbox_notify();")
    metadata.drop_all(op.get_bind(), tables=[outbox, inbox])
