import asyncio
import contextlib
from datetime import timedelta

from fastapi import FastAPI

from settle_kit.service import create_service_app
from settle_kit.work_loop import WorkLoop

from bookings.billing_client import BillingClient
from bookings.bookings import sweeper
from bookings.bookings.endpoints import router as bookings
from bookings.config import Settings
from bookings.experts.endpoints import router as experts
from bookings.metrics.endpoints import router as metrics
from bookings.payout_accounts.endpoints import router as payout_accounts
from bookings.payouts.endpoints import router as payouts
from bookings.subscriptions import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def start(app: FastAPI) -> None:
        app.state.billing = BillingClient(
            settings.billing_url, settings.jwt_secret.get_secret_value(), settings.billing_timeout_s, settings.billing_attempts,
            settings.billing_connect_timeout_s,
        )
        db = app.state.db
        grace = timedelta(seconds=settings.completion_grace_s)
        loops = [
            WorkLoop("expire", lambda: sweeper.expire_unpaid(db), settings.expire_interval_s),
            WorkLoop("complete", lambda: sweeper.complete_finished(db, grace), settings.complete_interval_s),
        ]
        app.state.sweepers = [asyncio.create_task(loop.run(), name=loop.name) for loop in loops]

    async def stop(app: FastAPI) -> None:
        for task in app.state.sweepers:
            task.cancel()
        for task in app.state.sweepers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.billing.close()

    return create_service_app(
        settings,
        title="Settle bookings",
        routers=[experts, payout_accounts, bookings, payouts, metrics],
        subscriptions=SUBSCRIPTIONS,
        on_startup=[start],
        on_shutdown=[stop],
    )
