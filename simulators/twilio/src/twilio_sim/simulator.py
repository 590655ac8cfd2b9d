"""The simulator's shared state, one per ASGI app."""

from __future__ import annotations

import dataclasses

from twilio_sim.config import Settings
from twilio_sim.lifecycle import Lifecycle
from twilio_sim.store import Store
from twilio_sim.webhooks import WebhookSender


class Simulator:
    def __init__(self, settings: Settings):
        self.settings = settings
        # What a reset returns the switches to: the values the process was started with.
        self.initial_settings = dataclasses.replace(settings)
        self.store = Store()
        self.sender = WebhookSender(settings, self.store)
        self.lifecycle = Lifecycle(settings, self.store, self.sender)

    async def reset(self) -> None:
        await self.lifecycle.aclose()
        self.lifecycle.held.clear()
        self.store.reset()
        for field in dataclasses.fields(Settings):
            setattr(self.settings, field.name, getattr(self.initial_settings, field.name))

    async def aclose(self) -> None:
        await self.lifecycle.aclose()
        await self.sender.aclose()
