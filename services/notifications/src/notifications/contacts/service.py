from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound, Unprocessable

from notifications.clock import Clock
from notifications.contacts.repository import ContactRepository
from notifications.contacts.schemas import ContactIn, ContactOut
from notifications.phones import NotTextable, textable_e164


async def put_contact(uow: UnitOfWork, caller: Principal, body: ContactIn, clock: Clock, *, allow_test_numbers: bool) -> ContactOut:
    try:
        phone = textable_e164(body.phone, allow_test_numbers=allow_test_numbers)
    except NotTextable as exc:
        raise Unprocessable(str(exc), field="phone", code="invalid_phone") from None
    contacts = ContactRepository(uow.session)
    contact = await contacts.put(caller.user_id, phone, body.display_name, clock.now())
    return ContactOut(user_id=contact.user_id, phone=contact.phone, display_name=contact.display_name,
                      opted_out=await contacts.is_opted_out(phone))


async def get_contact(uow: UnitOfWork, caller: Principal) -> ContactOut:
    contacts = ContactRepository(uow.session)
    contact = await contacts.get(caller.user_id)
    if contact is None:
        raise NotFound("You have not registered a phone number.", code="contact_not_found")
    return ContactOut(user_id=contact.user_id, phone=contact.phone, display_name=contact.display_name,
                      opted_out=await contacts.is_opted_out(contact.phone))
