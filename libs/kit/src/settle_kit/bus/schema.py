"""The outbox and inbox tables every service keeps in its own database.

Services create them in their first migration with `create_bus_tables()`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, LargeBinary, MetaData, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

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
    """Outbox and inbox (sync connection)."""
    metadata.create_all(connection, tables=[outbox, inbox])


def create_bus_tables() -> None:
    """Alembic step for a service's first migration."""
    from alembic import op

    install(op.get_bind())


def drop_bus_tables() -> None:
    from alembic import op

    drop_outbox_trigger()
    metadata.drop_all(op.get_bind(), tables=[outbox, inbox])


def drop_outbox_trigger() -> None:
    """Alembic step: the outbox no longer NOTIFYs on insert. A transaction that sends a NOTIFY
    takes a database-wide lock from its commit until the commit record is flushed, so every
    write that emitted an event queued behind every other (it cost a debit a third of its
    database throughput). The process that commits an event wakes its own relay instead
    (`Database.outbox_written`); polling finds rows written by processes without a relay."""
    from alembic import op

    op.execute("DROP TRIGGER IF EXISTS outbox_inserted ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")


# Messages a service's consumer gave up on, drained from its `{ns}.{svc}.dead` queue
# (settle_kit.bus.dead_letters), until an operator replays or discards them.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Text),  # the envelope's id when the body can be read
    Column("type", Text),
    Column("error", Text),
    Column("body", LargeBinary, nullable=False),  # exactly as it was delivered: replayed as is
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("dead_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replayed_by", Text),
    Column("discarded_at", DateTime(timezone=True)),
    Column("discarded_by", Text),
    Index("dead_letters_waiting", "dead_at", postgresql_where=text("replayed_at IS NULL AND discarded_at IS NULL")),
)


def create_dead_letters_table() -> None:
    """Alembic step (issue 16): every service keeps its dead letters."""
    from alembic import op

    metadata.create_all(op.get_bind(), tables=[dead_letters])


def drop_dead_letters_table() -> None:
    from alembic import op

    metadata.drop_all(op.get_bind(), tables=[dead_letters])
