from sqlalchemy import Select, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.messages.models import MessageUnlock
from messaging.purchases.models import LIVE, MessagePurchase

# At most one open or completed purchase per (message, buyer) (uq_message_purchases_live): of two
# requests at once, the second waits for the first to commit and inserts nothing.
_OPEN = text("""
    INSERT INTO message_purchases (id, message_id, conversation_id, buyer_id, seller_id, method, status, price_amount,
                                   price_currency, created_at)
    VALUES (:id, :message_id, :conversation_id, :buyer_id, :seller_id, :method, 'pending', :price_amount, :price_currency, now())
    ON CONFLICT (message_id, buyer_id) WHERE status IN ('pending', 'completed') DO NOTHING
    RETURNING id
""")
# The grant: one per (message, buyer), however often its payment is reported, even at once.
_GRANT = text("""
    INSERT INTO message_unlocks (message_id, user_id, payment_id, purchase_id, unlocked_at)
    VALUES (:message_id, :user_id, :payment_id, :purchase_id, now())
    ON CONFLICT (message_id, user_id) DO NOTHING
    RETURNING message_id
""")


class PurchaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, purchase_id: str, *, for_update: bool = False) -> MessagePurchase | None:
        return await self.session.get(MessagePurchase, purchase_id, with_for_update=for_update, populate_existing=for_update)

    async def lock(self, purchase_ids: list[str]) -> None:
        """Row locks on these purchases, taken in id order (the order every locker uses)."""
        await self.session.execute(
            select(MessagePurchase.id).where(MessagePurchase.id.in_(sorted(set(purchase_ids)))).order_by(MessagePurchase.id).with_for_update()
        )

    async def live(self, message_id: str, buyer_id: str) -> MessagePurchase | None:
        return await self.session.scalar(
            select(MessagePurchase).where(
                MessagePurchase.message_id == message_id, MessagePurchase.buyer_id == buyer_id, MessagePurchase.status.in_(LIVE)
            ).execution_options(populate_existing=True)
        )

    async def open(self, values: dict) -> bool:
        return await self.session.scalar(_OPEN, values) is not None

    async def grant(self, purchase: MessagePurchase) -> bool:
        values = {"message_id": purchase.message_id, "user_id": purchase.buyer_id, "payment_id": purchase.payment_id, "purchase_id": purchase.id}
        return await self.session.scalar(_GRANT, values) is not None

    async def revoke(self, purchase: MessagePurchase) -> None:
        await self.session.execute(
            delete(MessageUnlock).where(
                MessageUnlock.message_id == purchase.message_id, MessageUnlock.user_id == purchase.buyer_id,
                MessageUnlock.purchase_id == purchase.id,
            )
        )

    def of(self, user_id: str, as_: str) -> Select:
        column = MessagePurchase.buyer_id if as_ == "buyer" else MessagePurchase.seller_id
        return select(MessagePurchase).where(column == user_id)
