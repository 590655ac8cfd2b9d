"""Events that ask for texts: other services' requests, and bookings' schedule changes."""

from settle_contracts.bookings import BookingCancelled, BookingScheduled, BookingState
from settle_contracts.notifications import SmsRequested, sms_id
from settle_kit import context
from settle_kit.bus.uow import UnitOfWork

from notifications.contacts.repository import ContactRepository
from notifications.phones import time_zone
from notifications.sms import texts
from notifications.sms.requests import TextRequest, TextRequests


def _handled_event_id() -> str:
    """The envelope id of the event being handled (the consumer sets it as the causation id)."""
    event_id = context.causation_id.get()
    if event_id is None:
        raise RuntimeError("not inside the handling of an event")
    return event_id


class SmsHandlers:
    def __init__(self, requests: TextRequests) -> None:
        self.requests = requests

    async def sms_requested(self, event: SmsRequested, uow: UnitOfWork) -> None:
        await self.requests.ask(uow, TextRequest(
            sms_id=SmsRequested.sms_id(_handled_event_id()), body=event.body, kind=event.kind,
            to_phone=event.to_phone, to_user_id=event.to_user_id, requested_by=event.requested_by,
            reference_type=event.reference_type, reference_id=event.reference_id,
        ))

    async def booking_scheduled(self, event: BookingScheduled, uow: UnitOfWork) -> None:
        await self._text_both(uow, event, "booking_scheduled", lambda for_expert, zone: texts.booking_scheduled(
            for_expert=for_expert, start=event.start_time, minutes=event.duration_minutes,
            price=event.expert_payout if for_expert else event.price, currency=event.currency, zone=zone,
        ))

    async def booking_cancelled(self, event: BookingCancelled, uow: UnitOfWork) -> None:
        await self._text_both(uow, event, "booking_cancelled", lambda for_expert, zone: texts.booking_cancelled(
            for_expert=for_expert, start=event.start_time, cancelled_by=event.cancelled_by,
            refund_amount=event.refund_amount, currency=event.currency, zone=zone,
        ))

    async def _text_both(self, uow: UnitOfWork, event: BookingState, template: str, write) -> None:
        """Texts the requester and the expert, each only if they registered a phone; the text
        shows the time in their number's time zone. Each text's id: event, template, recipient."""
        event_id = _handled_event_id()
        contacts = ContactRepository(uow.session)
        for user_id, for_expert in ((event.requester_id, False), (event.expert_id, True)):
            contact = await contacts.get(user_id)
            if contact is None:
                continue
            await self.requests.ask(uow, TextRequest(
                sms_id=sms_id(event_id, template, user_id), body=write(for_expert, time_zone(contact.phone)),
                kind="confirmation" if template == "booking_scheduled" else "notice", to_user_id=user_id,
                requested_by=user_id, reference_type="booking", reference_id=event.booking_id,
            ))
