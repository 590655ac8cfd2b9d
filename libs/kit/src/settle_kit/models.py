"""Declarative base pieces every service's models share."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData

# Stable constraint names, so migrations can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


TYPE_MAP = {datetime: DateTime(timezone=True)}


def service_metadata() -> MetaData:
    """Each service's own MetaData (services never share tables, even inside one test process)."""
    return MetaData(naming_convention=NAMING)


def new_id(prefix: str) -> str:
    """Readable, prefixed ids (`prj_…`, `conv_…`), as Stripe does: the kind shows in logs."""
    return f"{prefix}_{uuid.uuid4().hex}"


def stable_id(prefix: str, *parts: str) -> str:
    """An id fixed by what it is for (`stable_id("pay", "booking", booking_id)`): asked for twice,
    it is the same id, so a retry finds the first row and replays Stripe's idempotency key."""
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f"{prefix}_{digest}"


def utcnow() -> datetime:
    return datetime.now(UTC)
