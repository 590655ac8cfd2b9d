from pydantic import BaseModel


class ConversationMembershipOut(BaseModel):
    conversation_id: str
    project_id: str | None
    participant_ids: list[str]


class ProjectMembersOut(BaseModel):
    project_id: str
    member_ids: list[str]
