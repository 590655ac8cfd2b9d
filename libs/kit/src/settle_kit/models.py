"""Declarative base pieces every service's models share."""

from __future__ import annotations

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


def utcnow() -> datetime:
    return datetime.now(UTC)
