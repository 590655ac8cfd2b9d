"""What notifications tells billing about reminder texts: their delivery, and customers' replies
(shown on the reminder). Only texts billing asked for as reminders are handled."""

from __future__ import annotations

from settle_contracts.notifications import SmsDelivered, SmsFailed, SmsOutcome, SmsReceived, SmsSent, SmsSuppressed
from settle_kit.bus.uow import UnitOfWork

from billing.invoices.models import Reminder
from billing.invoices.repository import InvoiceRepository
from billing.invoices.service import REMINDER_REFERENCE

# Delivery only moves forward; the final outcomes share the last rank.
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2, "undelivered": 2, "suppressed": 2}


def about_reminders(event: SmsOutcome | SmsReceived) -> bool:
    return event.reference_type == REMINDER_REFERENCE


async def on_sms_outcome(event: SmsOutcome, uow: UnitOfWork) -> None:
    reminder = await InvoiceRepository(uow.session).reminder_by_sms(event.sms_id)
    if reminder is None:
        return
    if isinstance(event, SmsSent):
        new = "sent"
    elif isinstance(event, SmsDelivered):
        new = "delivered"
    elif isinstance(event, SmsFailed):
        new = event.status
    elif isinstance(event, SmsSuppressed):
        new = "suppressed"
    else:
        return
    if _RANK.get(new, 0) > _RANK.get(reminder.sms_status or "queued", 0):
        reminder.sms_status = new
        await uow.session.flush()


async def on_sms_received(event: SmsReceived, uow: UnitOfWork) -> None:
    reminder = await uow.session.get(Reminder, event.reference_id, with_for_update=True) if event.reference_id else None
    if reminder is None:
        return
    # The latest reply is shown.
    if reminder.replied_at is None or event.received_at >= reminder.replied_at:
        reminder.reply, reminder.replied_at = event.body, event.received_at
        await uow.session.flush()
