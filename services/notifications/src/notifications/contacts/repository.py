from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.contacts.models import Contact, OptOut


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str) -> Contact | None:
        return await self.session.get(Contact, user_id)

    async def put(self, user_id: str, phone: str, display_name: str | None, now: datetime) -> Contact:
        statement = (
            insert(Contact)
            .values(user_id=user_id, phone=phone, display_name=display_name, created_at=now, updated_at=now)
            .on_conflict_do_update(index_elements=[Contact.user_id], set_={"phone": phone, "display_name": display_name, "updated_at": now})
            .returning(Contact)
        )
        return (await self.session.scalars(statement, execution_options={"populate_existing": True})).one()

    async def is_opted_out(self, phone: str) -> bool:
        return await self.session.scalar(select(OptOut.phone).where(OptOut.phone == phone)) is not None

    async def opt_out(self, phone: str, source: str, now: datetime) -> None:
        await self.session.execute(insert(OptOut).values(phone=phone, source=source, created_at=now).on_conflict_do_nothing())

    async def opt_in(self, phone: str) -> None:
        await self.session.execute(delete(OptOut).where(OptOut.phone == phone))
