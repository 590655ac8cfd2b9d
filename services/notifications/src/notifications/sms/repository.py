from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_kit.pagination import PageParams, paginate

from notifications.sms.models import Sms, SmsSend


class SmsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(self, sms_id: str, due: datetime) -> None:
        await self.session.execute(
            insert(SmsSend).values(id=sms_id, status="pending", attempts=0, next_attempt_at=due).on_conflict_do_nothing()
        )

    async def reschedule(self, item: SmsSend, due: datetime) -> None:
        """Puts a claimed send back to wait until `due` without counting the attempt (quiet hours,
        the wait for an unconfirmed one): waiting is no failure. The queue's record of this
        attempt then finds it no longer `running` and leaves it (the handler returns ALREADY_DONE)."""
        await self.session.execute(
            update(SmsSend)
            .where(SmsSend.id == item.id, SmsSend.attempts == item.attempts, SmsSend.status == "running")
            .values(status="pending", attempts=SmsSend.attempts - 1, next_attempt_at=due)
        )

    async def locked(self, sms_id: str) -> Sms | None:
        return await self.session.scalar(select(Sms).where(Sms.id == sms_id).with_for_update())

    async def sid_is_known(self, twilio_sid: str) -> bool:
        return await self.session.scalar(select(Sms.id).where(Sms.twilio_sid == twilio_sid)) is not None

    async def latest_sent_to(self, phone: str) -> Sms | None:
        statement = (
            select(Sms).where(Sms.to_phone == phone, Sms.sent_at.is_not(None)).order_by(Sms.sent_at.desc()).limit(1)
        )
        return await self.session.scalar(statement)

    async def page_for(self, user_id: str, params: PageParams) -> tuple[list[Sms], bool]:
        return await paginate(
            self.session, select(Sms).where(Sms.requested_by == user_id), created_at=Sms.created_at, id_=Sms.id, params=params
        )
