from pydantic import BaseModel, ConfigDict, Field

from bookings.schemas import MoneyOut, Rate


class ExpertUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=100)
    rate_per_minute: Rate


class ExpertOut(BaseModel):
    id: str
    display_name: str
    rate_per_minute: MoneyOut
    payouts_enabled: bool

    @classmethod
    def of(cls, expert, enabled: set[str]) -> "ExpertOut":
        """`enabled`: who of those shown can receive payouts (`service.payouts_enabled`)."""
        return cls(
            id=expert.id,
            display_name=expert.display_name,
            rate_per_minute=MoneyOut(amount=expert.rate_amount, currency=expert.rate_currency),
            payouts_enabled=expert.id in enabled,
        )
