"""Simulator settings: from the CLI, the environment, or create_app() arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12112
# A dev-only token: real Twilio tokens never look like this, so it cannot be mistaken for one.
DEFAULT_AUTH_TOKEN = "twilio-sim-dev-auth-token"
DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEFAULT_STEP_DELAY = 0.2


@dataclass
class Settings:
    auth_token: str = DEFAULT_AUTH_TOKEN
    inbound_url: str | None = None
    # The account that inbound messages are addressed to when the helper call does not name one.
    account_sid: str = DEFAULT_ACCOUNT_SID
    # Seconds between two status transitions of an outbound message.
    step_delay: float = DEFAULT_STEP_DELAY
    # False: messages stay where they are until a test helper moves them.
    auto_advance: bool = True
    duplicate_callbacks: bool = False
    reorder_callbacks: bool = False

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        settings = cls(
            auth_token=env.get("TWILIO_SIM_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
            inbound_url=env.get("TWILIO_SIM_INBOUND_URL") or None,
            account_sid=env.get("TWILIO_SIM_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
            step_delay=float(env.get("TWILIO_SIM_STEP_DELAY") or DEFAULT_STEP_DELAY),
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(settings, name, value)
        return settings

    def as_dict(self) -> dict:
        return {
            "inbound_url": self.inbound_url,
            "account_sid": self.account_sid,
            "step_delay": self.step_delay,
            "auto_advance": self.auto_advance,
            "duplicate_callbacks": self.duplicate_callbacks,
            "reorder_callbacks": self.reorder_callbacks,
        }
