import asyncio
import contextlib

from fastapi import FastAPI

from settle_kit.service import create_service_app, supervise

from notifications.admin.endpoints import router as admin
from notifications.clock import Clock
from notifications.config import Settings
from notifications.contacts.endpoints import router as contacts
from notifications.sms.endpoints import router as sms
from notifications.sms.handlers import SmsHandlers
from notifications.sms.requests import TextRequests
from notifications.sms.sender import SmsSender
from notifications.sms.twilio_api import Twilio
from notifications.sms.webhooks import router as twilio_webhooks
from notifications.subscriptions import subscriptions


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = Clock(settings.fake_now)

    async def start_sender(app: FastAPI) -> None:
        # The SDK's aiohttp session belongs to the running loop: made here, closed at shutdown.
        app.state.twilio = Twilio(settings)
        app.state.sender = SmsSender(settings, app.state.db, app.state.twilio, clock)
        supervise(app, "sms-sender", app.state.sender.run())

    async def stop_sender(app: FastAPI) -> None:
        # The sender stops before its HTTP session closes, so no call is cut off by the close.
        sender = app.state.background.pop("sms-sender")
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        await app.state.twilio.close()

    app = create_service_app(
        settings,
        title="Settle notifications",
        routers=[contacts, sms, twilio_webhooks, admin],
        subscriptions=subscriptions(SmsHandlers(TextRequests(settings, clock))),
        on_startup=[start_sender],
        on_shutdown=[stop_sender],
    )
    app.state.clock = clock
    return app
