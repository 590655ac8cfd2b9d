"""billing's declarative base. The outbox and inbox come from the kit (see the first migration)."""

from sqlalchemy.orm import DeclarativeBase

from settle_kit.models import TYPE_MAP, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_MAP
