from datetime import timedelta

from fastapi import FastAPI

from settle_kit.clock import Clock
from settle_kit.service import create_service_app, supervise

from billing.admin.endpoints import router as admin
from billing.admin.payment_stats import router as payment_stats
from billing.checkout import purposes as checkout_purposes
from billing.booking_payments.endpoints import router as booking_payments
from billing.config import Settings
from billing.connect.endpoints import router as connect
from billing.credits.endpoints import router as credits
from billing.dev_clock import router as dev_clock
from billing.invoices.endpoints import router as invoices
from billing.invoices.reminders import ReminderScheduler
from billing.invoices.service import Urls
from billing.membership import messaging_client
from billing.message_sales.endpoints import router as message_sales
from billing.payments.endpoints import router as payments
from billing.payments.reconciliation import run_reconciliation
from billing.stripe_api import create_stripe_client
from billing.stripe_tasks.runner import StripeTaskRunner
from billing.subscriptions import CHECKOUT_PURPOSES, SUBSCRIPTIONS
from billing.webhooks.endpoints import router as webhooks
from billing.webhooks.processor import StripeEventProcessor


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    checkout_purposes.install(CHECKOUT_PURPOSES)
    clock = Clock(settings.fake_now)

    async def start_stripe_work(app: FastAPI) -> None:
        db = app.state.db
        app.state.stripe = create_stripe_client(settings)
        # Background work on the kit's queue; supervised, so /readyz fails if one of them dies.
        # A claim (renewed while its work runs) outlasts a Stripe call (timeout x attempts): a
        # worker that died gives its work back after it, one that was stopped at once.
        call_s = settings.stripe_timeout_s * (1 + settings.stripe_max_retries)
        app.state.stripe_events = StripeEventProcessor(
            db, app.state.stripe, concurrency=settings.stripe_event_concurrency, max_attempts=settings.stripe_event_max_attempts,
            lease_s=2 * call_s + 5,
        )
        app.state.stripe_tasks = StripeTaskRunner(
            db, app.state.stripe, poll_interval_s=settings.stripe_tasks_interval_s, max_attempts=settings.stripe_task_max_attempts,
            lease_s=2 * call_s + 5,
        )
        supervise(app, "stripe-events", app.state.stripe_events.run())
        supervise(app, "stripe-tasks", app.state.stripe_tasks.run())
        app.state.invoice_reminders = ReminderScheduler(
            db, clock, Urls(settings.public_url), interval_s=settings.reminder_interval_s, hold_s=settings.reminder_hold_s,
            reminder_hour=settings.reminder_hour,
        )
        supervise(app, "invoice-reminders", app.state.invoice_reminders.run())
        supervise(
            app, "reconciliation", run_reconciliation(db, timedelta(seconds=settings.reconcile_after_s), settings.reconcile_interval_s)
        )

    app = create_service_app(
        settings,
        title="Settle billing",
        routers=[payments, credits, booking_payments, message_sales, connect, webhooks, admin, payment_stats, invoices, dev_clock],
        subscriptions=SUBSCRIPTIONS,
        on_startup=[start_stripe_work, messaging_client.start],
        on_shutdown=[messaging_client.stop],
    )
    app.state.clock = clock
    return app
