from fastapi import FastAPI

from settle_kit.service import create_service_app

from billing.config import Settings
from billing.subscriptions import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(settings or Settings(), title="Settle billing", subscriptions=SUBSCRIPTIONS)
