import asyncio
import contextlib
from datetime import timedelta

from fastapi import FastAPI

from settle_kit.service import create_service_app

from billing.booking_payments.endpoints import router as booking_payments
from billing.config import Settings
from billing.connect.endpoints import router as connect
from billing.credits.endpoints import router as credits
from billing.payments.endpoints import router as payments
from billing.payments.reconciliation import run_reconciliation
from billing.stripe_api import create_stripe_client
from billing.stripe_tasks.runner import StripeTaskRunner
from billing.subscriptions import SUBSCRIPTIONS
from billing.webhooks.endpoints import router as webhooks
from billing.webhooks.processor import StripeEventProcessor


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def start_stripe_work(app: FastAPI) -> None:
        app.state.stripe = create_stripe_client(settings)
        app.state.stripe_events = StripeEventProcessor(app.state.db, app.state.stripe, concurrency=settings.stripe_event_concurrency)
        app.state.stripe_tasks = StripeTaskRunner(app.state.db, app.state.stripe, poll_interval_s=settings.stripe_tasks_interval_s)
        app.state.billing_tasks = [
            asyncio.create_task(app.state.stripe_events.run(), name="stripe-events"),
            asyncio.create_task(
                run_reconciliation(
                    app.state.db, app.state.stripe, timedelta(seconds=settings.reconcile_after_s), settings.reconcile_interval_s
                ),
                name="reconciliation",
            ),
            asyncio.create_task(app.state.stripe_tasks.run(), name="stripe-tasks"),
        ]

    async def stop_stripe_work(app: FastAPI) -> None:
        for task in app.state.billing_tasks:
            task.cancel()
        for task in app.state.billing_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return create_service_app(
        settings,
        title="Settle billing",
        routers=[payments, credits, booking_payments, connect, webhooks],
        subscriptions=SUBSCRIPTIONS,
        on_startup=[start_stripe_work],
        on_shutdown=[stop_stripe_work],
    )
