from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.payout_accounts.models import Payee


class PayeeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str) -> Payee | None:
        return await self.session.get(Payee, user_id, populate_existing=True)

    async def record(self, user_id: str, *, account_id: str, payouts_enabled: bool, as_of: datetime) -> None:
        """Keeps the newest of billing's reports, in one statement: a first report, an answer
        and an event racing for the same user never collide, and an older one changes nothing."""
        statement = insert(Payee).values(
            user_id=user_id, payout_account_id=account_id, payouts_enabled=payouts_enabled, updated_at=as_of
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Payee.user_id],
                set_={c: statement.excluded[c] for c in ("payout_account_id", "payouts_enabled", "updated_at")},
                where=Payee.updated_at < statement.excluded.updated_at,
            )
        )

    async def enabled_among(self, user_ids: Iterable[str]) -> set[str]:
        """Those of `user_ids` who can receive payouts now."""
        found = await self.session.scalars(
            select(Payee.user_id).where(Payee.user_id.in_(list(user_ids)), Payee.payouts_enabled.is_(True))
        )
        return set(found)
