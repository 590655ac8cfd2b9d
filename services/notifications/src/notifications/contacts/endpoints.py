from fastapi import APIRouter, Request

from settle_kit.auth import CurrentPrincipal
from settle_kit.openapi import problems
from settle_kit.service import UoW

from notifications.contacts import service
from notifications.contacts.schemas import ContactIn, ContactOut

router = APIRouter(prefix="/v1/me/contact", tags=["notifications"])


@router.put("", response_model=ContactOut)
async def put_contact(body: ContactIn, caller: CurrentPrincipal, uow: UoW, request: Request):
    """Registers (or replaces) the caller's phone for texts; it must be able to receive SMS."""
    state = request.app.state
    contact = await service.put_contact(uow, caller, body, state.clock, allow_test_numbers=state.settings.is_development)
    await uow.commit()
    return contact


@router.get("", response_model=ContactOut, responses=problems(404))
async def get_contact(caller: CurrentPrincipal, uow: UoW):
    """The caller's phone; 404 contact_not_found until one is registered."""
    return await service.get_contact(uow, caller)
