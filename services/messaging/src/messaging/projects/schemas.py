from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from settle_kit.schemas import UserId


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    title: str
    owner_id: str
    member_ids: list[str]
    created_at: datetime
