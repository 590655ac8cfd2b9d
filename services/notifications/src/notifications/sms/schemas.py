from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SmsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    to: str | None = Field(validation_alias="to_phone", description="E.164; null when the user had no phone")
    body: str
    segments: int
    kind: str = Field(description="confirmation, reminder or notice: reminders wait for 08:00-21:00 at the recipient's")
    status: str = Field(description="queued, deferred, sending, sent, delivered, undelivered, failed or suppressed")
    error_code: str | None = Field(description="Twilio's error code (e.g. 21211, 30003) or ours (too_many_segments, invalid_phone, opted_out, no_contact)")
    reference_type: str | None
    reference_id: str | None
    created_at: datetime
    deferred_until: datetime | None = Field(description="Quiet hours: not sent before this")
    sent_at: datetime | None
    delivered_at: datetime | None
