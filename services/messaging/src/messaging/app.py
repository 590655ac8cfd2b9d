from fastapi import FastAPI

from settle_kit.service import create_service_app

from messaging.config import Settings
from messaging.conversations.endpoints import router as conversations
from messaging.membership.endpoints import router as membership
from messaging.messages.endpoints import router as messages
from messaging.projects.endpoints import router as projects
from messaging.subscriptions import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Settle messaging",
        routers=[projects, conversations, messages, membership],
        subscriptions=SUBSCRIPTIONS,
    )
