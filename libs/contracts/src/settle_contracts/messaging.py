"""Events produced by the messaging service."""

from __future__ import annotations

from datetime import datetime

from settle_contracts.envelope import Event


class ProjectCreated(Event):
    """A project was created; its owner is its first member."""

    event_type = "messaging.project.created"
    project_id: str
    title: str
    owner_id: str
    member_ids: list[str]
    created_at: datetime


class ProjectMemberAdded(Event):
    """A user joined a project."""

    event_type = "messaging.project.member_added"
    project_id: str
    user_id: str


class ConversationCreated(Event):
    """A conversation was opened; `participant_ids` includes its creator."""

    event_type = "messaging.conversation.created"
    conversation_id: str
    project_id: str | None
    participant_ids: list[str]
    created_at: datetime
