from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from settle_kit.schemas import UserId


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_ids: list[UserId] = Field(min_length=1, max_length=50)
    project_id: str | None = None


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    project_id: str | None
    participant_ids: list[str]
    created_at: datetime
    last_message_at: datetime | None
    hidden: bool = Field(default=False, description="Hidden by the caller: left out of their list until a new message")

    @classmethod
    def seen_by(cls, conversation, viewer_id: str) -> "ConversationOut":
        out = cls.model_validate(conversation)
        out.hidden = conversation.hidden_for(viewer_id)
        return out
