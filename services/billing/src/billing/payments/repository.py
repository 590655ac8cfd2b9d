from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments.models import Payment, Refund


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entity: Payment | Refund) -> None:
        self.session.add(entity)

    async def get(self, payment_id: str, *, for_update: bool = False, skip_locked: bool = False) -> Payment | None:
        lock = {"skip_locked": True} if skip_locked else for_update
        # Locked: read afresh, whatever an earlier transaction of this session left in memory.
        return await self.session.get(Payment, payment_id, with_for_update=lock, populate_existing=bool(lock))

    async def by_ids(self, payment_ids: list[str]) -> dict[str, Payment]:
        found = await self.session.scalars(select(Payment).where(Payment.id.in_(payment_ids)))
        return {payment.id: payment for payment in found}

    async def by_intent(self, intent_id: str, *, for_update: bool = True) -> Payment | None:
        query = select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def by_intents(self, intent_ids: list[str]) -> dict[str, Payment]:
        """The payments of these PaymentIntents, locked FOR UPDATE in one order (two batches that
        share payments never wait on each other crosswise)."""
        if not intent_ids:
            return {}
        found = await self.session.scalars(
            select(Payment).where(Payment.stripe_payment_intent_id.in_(intent_ids)).order_by(Payment.id).with_for_update()
        )
        return {payment.stripe_payment_intent_id: payment for payment in found}

    def visible_to(self, user_id: str) -> Select:
        return select(Payment).where(or_(Payment.payer_id == user_id, Payment.payee_id == user_id))

    def everyone(self) -> Select:
        return select(Payment)

    async def refund(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        return await self.session.get(Refund, refund_id, with_for_update=for_update, populate_existing=True)

    def refunds_of(self, payment_id: str) -> Select:
        return select(Refund).where(Refund.payment_id == payment_id)

    async def reserved_for_refunds(self, payment_id: str) -> int:
        """What refunds decided but not yet taken by Stripe hold of the payment."""
        return await self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.payment_id == payment_id, Refund.stripe_refund_id.is_(None), Refund.status == "pending"
            )
        )

    async def stale_open_ids(self, statuses: tuple[str, ...], created_before: datetime, limit: int) -> list[str]:
        query = (
            select(Payment.id)
            .where(Payment.status.in_(statuses), Payment.created_at < created_before, Payment.stripe_payment_intent_id.is_not(None))
            .order_by(Payment.created_at)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def refund_by_stripe_id(self, stripe_refund_id: str) -> Refund | None:
        return await self.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_refund_id))
