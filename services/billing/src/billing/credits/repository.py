from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.credits.models import CreditPackage, CreditPurchase


class CreditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entity: CreditPackage | CreditPurchase) -> None:
        self.session.add(entity)

    async def package(self, package_id: str) -> CreditPackage | None:
        return await self.session.get(CreditPackage, package_id)

    async def packages(self, *, active_only: bool) -> list[CreditPackage]:
        query = select(CreditPackage).order_by(CreditPackage.sort_order, CreditPackage.created_at, CreditPackage.id)
        if active_only:
            query = query.where(CreditPackage.is_active)
        return list(await self.session.scalars(query))

    async def purchase(self, purchase_id: str, *, for_update: bool = False) -> CreditPurchase | None:
        return await self.session.get(CreditPurchase, purchase_id, with_for_update=for_update)

    def purchases_of(self, buyer_id: str) -> Select:
        return select(CreditPurchase).where(CreditPurchase.buyer_id == buyer_id)
