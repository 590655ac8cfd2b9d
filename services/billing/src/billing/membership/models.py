"""Billing's own copy of who belongs to which project and conversation, kept from messaging's
events, so billing can authorize payments without reading messaging's database."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from billing.models import Base


class ProjectMembership(Base):
    __tablename__ = "project_memberships"

    project_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class ConversationMembership(Base):
    __tablename__ = "conversation_memberships"

    conversation_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(40))
