from fastapi import FastAPI

from settle_kit.service import create_service_app

from messaging.attachments.endpoints import router as attachments
from messaging.attachments.storage import storage_from
from messaging.billing_client import BillingClient
from messaging.config import Settings
from messaging.conversations.endpoints import router as conversations
from messaging.live.endpoints import router as live
from messaging.live.hub import FeedHub
from messaging.membership.endpoints import router as membership
from messaging.messages.admin import router as messages_admin
from messaging.messages.endpoints import router as messages
from messaging.projects.endpoints import router as projects
from messaging.purchases.endpoints import router as purchases
from messaging.subscriptions import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def start(app: FastAPI) -> None:
        app.state.attachments = storage_from(settings)
        app.state.feed_hub = FeedHub(app.state.db, settings.events_poll_s)
        app.state.billing = BillingClient(
            settings.billing_url, settings.jwt_secret.get_secret_value(), settings.billing_timeout_s, settings.billing_attempts,
            settings.billing_connect_timeout_s,
        )

    async def stop(app: FastAPI) -> None:
        await app.state.feed_hub.close()
        await app.state.billing.close()

    return create_service_app(
        settings,
        title="Settle messaging",
        routers=[projects, conversations, messages, live, attachments, purchases, membership, messages_admin],
        subscriptions=SUBSCRIPTIONS,
        on_startup=[start],
        on_shutdown=[stop],
    )
