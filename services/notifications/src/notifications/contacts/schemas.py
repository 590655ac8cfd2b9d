from pydantic import BaseModel, ConfigDict, Field


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=1, max_length=40, examples=["+14155552671"], description="A mobile number with its country code")
    display_name: str | None = Field(None, max_length=100)


class ContactOut(BaseModel):
    user_id: str
    phone: str = Field(description="E.164")
    display_name: str | None
    opted_out: bool = Field(description="The number texted STOP (or Twilio reports it unsubscribed): no texts go to it")
