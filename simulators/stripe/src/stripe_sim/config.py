"""Simulator settings, from create_app() arguments, CLI flags or STRIPE_SIM_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# Stripe retries over three days; tests cannot wait that long, so the same shape is compressed.
DEFAULT_RETRY_SCHEDULE = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)


@dataclass
class Config:
    state_file: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Seconds between attempts after a failed delivery; its length is the number of retries.
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    # Extra copies of every delivery (0 = each event once per endpoint).
    duplicates: int = 0
    # When > 0, deliveries are held this many seconds and then sent newest first.
    reorder_window: float = 0.0
    delivery_timeout: float = 10.0
    # Public base URL for hosted pages (checkout, 3DS, onboarding); taken from the request's Host if unset.
    public_url: str | None = None
    persist_interval: float = 1.0
    # Seconds every API answer is held back (a slow Stripe), in the simulator's own HTTP server.
    latency_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        env = os.environ
        values: dict = {}
        if env.get("STRIPE_SIM_WEBHOOK_URL"):
            values["webhook_url"] = env["STRIPE_SIM_WEBHOOK_URL"]
        if env.get("STRIPE_SIM_WEBHOOK_SECRET"):
            values["webhook_secret"] = env["STRIPE_SIM_WEBHOOK_SECRET"]
        if env.get("STRIPE_SIM_STATE_FILE"):
            values["state_file"] = env["STRIPE_SIM_STATE_FILE"]
        if env.get("STRIPE_SIM_RETRY_SCHEDULE"):
            values["retry_schedule"] = parse_schedule(env["STRIPE_SIM_RETRY_SCHEDULE"])
        if env.get("STRIPE_SIM_WEBHOOK_DUPLICATES"):
            values["duplicates"] = int(env["STRIPE_SIM_WEBHOOK_DUPLICATES"])
        if env.get("STRIPE_SIM_WEBHOOK_REORDER_WINDOW"):
            values["reorder_window"] = float(env["STRIPE_SIM_WEBHOOK_REORDER_WINDOW"])
        if env.get("STRIPE_SIM_LATENCY_S"):
            values["latency_s"] = float(env["STRIPE_SIM_LATENCY_S"])
        if env.get("STRIPE_SIM_PUBLIC_URL"):
            values["public_url"] = env["STRIPE_SIM_PUBLIC_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def parse_schedule(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(",") if x.strip())
