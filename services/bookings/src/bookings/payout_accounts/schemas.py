from pydantic import BaseModel


class PayoutAccountOut(BaseModel):
    account_id: str | None
    payouts_enabled: bool


class OpenedPayoutAccount(PayoutAccountOut):
    onboarding_url: str
