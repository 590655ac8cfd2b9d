from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.connect.models import PayoutAccount, Transfer, TransferReversal


class ConnectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entity: PayoutAccount | Transfer | TransferReversal) -> None:
        self.session.add(entity)

    async def ensure_account(self, user_id: str) -> PayoutAccount:
        """The user's account row, created when missing (not locked)."""
        await self.session.execute(insert(PayoutAccount).values(user_id=user_id).on_conflict_do_nothing())
        return await self.session.get(PayoutAccount, user_id, populate_existing=True)

    async def claim_account(self, user_id: str) -> PayoutAccount:
        """The user's account row, created when missing, locked: opens for one user queue here."""
        await self.session.execute(insert(PayoutAccount).values(user_id=user_id).on_conflict_do_nothing())
        return await self.session.get(PayoutAccount, user_id, with_for_update=True, populate_existing=True)

    async def account(self, user_id: str) -> PayoutAccount | None:
        return await self.session.get(PayoutAccount, user_id)

    async def account_by_stripe_id(self, stripe_account_id: str) -> PayoutAccount | None:
        return await self.session.scalar(
            select(PayoutAccount).where(PayoutAccount.stripe_account_id == stripe_account_id).with_for_update()
        )

    async def transfer_for(self, reference_type: str, reference_id: str) -> Transfer | None:
        return await self.session.scalar(
            select(Transfer).where(Transfer.reference_type == reference_type, Transfer.reference_id == reference_id)
        )

    async def paid_transfer_of_payment(self, payment_id: str) -> Transfer | None:
        return await self.session.scalar(select(Transfer).where(Transfer.payment_id == payment_id, Transfer.status == "paid"))

    async def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        return await self.session.get(Transfer, transfer_id, with_for_update=for_update, populate_existing=True)

    async def reversal_in_flight(self, transfer_id: str) -> TransferReversal | None:
        return await self.session.scalar(
            select(TransferReversal).where(TransferReversal.transfer_id == transfer_id, TransferReversal.stripe_reversal_id.is_(None))
        )
