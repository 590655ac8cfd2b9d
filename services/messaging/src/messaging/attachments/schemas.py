from datetime import datetime

from pydantic import BaseModel, Field


class AttachmentOut(BaseModel):
    id: str
    name: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str = Field(description="Hex digest of the bytes")
    created_at: datetime


class AttachmentLink(BaseModel):
    id: str
    name: str
    content_type: str
    size: int
    download_url: str = Field(description="Signed; works for anyone holding it until `expires_at` (at most 5 minutes)")
    expires_at: datetime


class AttachmentLinks(BaseModel):
    data: list[AttachmentLink]
