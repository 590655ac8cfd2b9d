"""The credit ledger's invariants over random histories, on the real database.

Hypothesis draws sequences of purchases (some failing, some with the success event repeated),
debits, admin adjustments and refunds, and drives them through the code paths production uses:
a payment moved by what Stripe's PaymentIntent says, a refund Stripe reports, a debit, an
adjustment. After every step: no wallet below zero, each wallet equal to the sum of its
entries and to a simple model, every transaction's postings summing to zero, and all entries
per currency summing to zero.
"""

from __future__ import annotations

import json
import uuid
from decimal import ROUND_DOWN, Decimal

import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from settle_kit.auth import Principal
from settle_kit.bus.uow import UnitOfWork
from settle_kit.credits import QUANTUM

from billing.credits import debits, wallets
from billing.credits.ledger import InsufficientCredits
from billing.credits.models import CreditPurchase
from billing.credits.schemas import AdjustmentCreate, DebitCreate
from billing.payments import service as payments
from billing.payments.models import Payment
from billing.payments.repository import PaymentRepository

USERS = 2
credits = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("12"), places=6)
operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, USERS - 1), st.sampled_from([(500, 5), (1500, 15), (999, "7.5")]), st.booleans()),
    st.tuples(st.just("fail"), st.integers(0, USERS - 1)),
    st.tuples(st.just("debit"), st.integers(0, USERS - 1), credits, st.booleans()),
    st.tuples(st.just("adjust"), st.integers(0, USERS - 1), credits, st.booleans()),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 1500)),
)


class World:
    """The model: what each wallet should hold, and the purchases that succeeded."""

    def __init__(self) -> None:
        run = uuid.uuid4().hex[:8]
        self.users = [f"p{run}_{i}" for i in range(USERS)]
        self.balances = {u: Decimal(0) for u in self.users}
        self.purchases: list[dict] = []  # succeeded ones: id, payment_id, buyer, price, credits, refunded, taken


def intent(status: str, declined: bool = False) -> stripe.PaymentIntent:
    fields = {"id": f"pi_{uuid.uuid4().hex}", "status": status}
    if declined:
        fields["last_payment_error"] = {"code": "card_declined", "decline_code": "generic_decline", "message": "declined"}
    return stripe.PaymentIntent.construct_from(fields, "sk_test")


async def open_purchase(uow: UnitOfWork, buyer: str, price: int, amount_of_credits: Decimal) -> Payment:
    purchase_id, payment_id = f"cpu_{uuid.uuid4().hex}", f"pay_{uuid.uuid4().hex}"
    payment = Payment(id=payment_id, purpose="credit_purchase", status="requires_payment", amount=price, currency="usd",
                      amount_refunded=0, payer_id=buyer, description="test package", reference_type="credit_purchase",
                      reference_id=purchase_id, stripe_payment_intent_id=f"pi_{uuid.uuid4().hex}")
    uow.session.add(payment)
    await uow.session.flush()
    uow.session.add(CreditPurchase(id=purchase_id, buyer_id=buyer, package_id="cpk_small", payment_id=payment_id,
                                   status="requires_payment", price_amount=price, price_currency="usd", credits=amount_of_credits,
                                   credits_clawed_back=Decimal(0), credits_written_off=Decimal(0)))
    await uow.session.flush()
    return payment


async def apply(db, world: World, op: tuple) -> None:
    kind = op[0]
    async with UnitOfWork(db, "billing") as uow:
        try:
            if kind == "buy":
                _, who, (price, amount), repeat = op
                buyer, amount = world.users[who], Decimal(amount)
                payment = await open_purchase(uow, buyer, price, amount)
                await payments.sync_with_intent(uow, payment, intent("succeeded"))
                if repeat:  # the same news again, as a duplicated or late webhook would bring it
                    await payments.sync_with_intent(uow, payment, intent("succeeded"))
                world.balances[buyer] += amount
                world.purchases.append({"payment_id": payment.id, "buyer": buyer, "price": price, "credits": amount, "refunded": 0, "taken": Decimal(0)})
            elif kind == "fail":
                payment = await open_purchase(uow, world.users[op[1]], 500, Decimal(5))
                await payments.sync_with_intent(uow, payment, intent("requires_payment_method", declined=True))
            elif kind == "debit":
                # As the endpoint does: one statement when it can, the general path otherwise.
                _, who, amount, repeat = op
                user, shop, key = world.users[who], Principal("svc", "service"), uuid.uuid4().hex
                data = DebitCreate(user_id=user, amount=str(amount), description="use", reference_type="test", reference_id=key)
                try:
                    first = await debits.debit(db, shop, key, data)
                except InsufficientCredits:
                    assert world.balances[user] < amount, "a debit the balance covers was refused"
                    return
                assert world.balances[user] >= amount, "a debit beyond the balance was accepted"
                assert first.balance_after == world.balances[user] - amount
                world.balances[user] -= amount
                if repeat:  # a retry with the same key and reference: the same debit, replayed
                    again = await debits.debit(db, shop, key, data)
                    assert json.loads(again.body)["id"] == first.id
            elif kind == "adjust":
                _, who, amount, negative = op
                user, signed = world.users[who], -amount if negative else amount
                try:
                    await wallets.adjust(uow, Principal("ops", "admin"), AdjustmentCreate(user_id=user, amount=str(signed), description="fix"))
                except InsufficientCredits:
                    assert world.balances[user] + signed < 0
                    return
                world.balances[user] += signed
            elif kind == "refund":
                _, index, amount = op
                if not world.purchases:
                    return
                bought = world.purchases[index % len(world.purchases)]
                amount = min(amount, bought["price"] - bought["refunded"])
                if amount <= 0:
                    return
                payment = await PaymentRepository(uow.session).get(bought["payment_id"], for_update=True)
                refund = stripe.Refund.construct_from({"id": f"re_{uuid.uuid4().hex}", "amount": amount, "status": "succeeded"}, "sk_test")
                await payments.sync_refund(uow, payment, refund)
                bought["refunded"] += amount
                if bought["refunded"] == bought["price"]:
                    owed = bought["credits"]
                else:
                    owed = (bought["credits"] * bought["refunded"] / bought["price"]).quantize(QUANTUM, rounding=ROUND_DOWN)
                taken = min(owed - bought["taken"], world.balances[bought["buyer"]]) if owed > bought["taken"] else Decimal(0)
                # What cannot be taken back was spent: written off, never pushed below zero.
                bought["taken"] = owed
                world.balances[bought["buyer"]] -= taken
            await uow.commit()
        except InsufficientCredits:
            raise AssertionError(f"{op} was refused") from None


async def check(db, world: World) -> None:
    async with db.engine.connect() as conn:
        wallets_now = dict((await conn.execute(text(
            "SELECT user_id, balance FROM credit_accounts WHERE user_id = ANY(:users)"), {"users": world.users})).all())
        sums = dict((await conn.execute(text(
            "SELECT user_id, sum(amount) FROM credit_entries WHERE user_id = ANY(:users) GROUP BY user_id"), {"users": world.users})).all())
        unbalanced = (await conn.execute(text(
            "SELECT transaction_id FROM credit_entries GROUP BY transaction_id HAVING sum(amount) <> 0 OR count(*) <> 2"))).all()
        per_currency = (await conn.execute(text("SELECT currency, sum(amount) FROM credit_entries GROUP BY currency"))).all()
        broken_chain = (await conn.execute(text(
            "SELECT id FROM credit_entries WHERE user_id IS NOT NULL AND balance_after <> balance_before + amount"))).all()
        # Every debit told the other services once, with the balance its entry shows.
        debits_told = (await conn.execute(text(
            """SELECT e.id, count(o.seq), bool_and((o.envelope->'data'->>'balance_after')::numeric = e.balance_after
                                                  AND (o.envelope->'data'->>'amount')::numeric = e.amount)
               FROM credit_entries e JOIN credit_transactions t ON t.id = e.transaction_id
               LEFT JOIN outbox o ON o.type = 'billing.credits.debited' AND o.envelope->'data'->>'entry_id' = e.id
               WHERE t.type = 'debit' AND e.user_id = ANY(:users) GROUP BY e.id"""), {"users": world.users})).all()
    for user in world.users:
        held = wallets_now.get(user, Decimal(0))
        assert held >= 0
        assert held == sums.get(user, Decimal(0)), f"{user}: balance {held} but entries sum to {sums.get(user)}"
        assert held == world.balances[user], f"{user}: balance {held}, expected {world.balances[user]}"
    assert unbalanced == [] and broken_chain == []
    assert all(count == 1 and agrees for _, count, agrees in debits_told), debits_told
    assert all(total == 0 for _, total in per_currency), per_currency


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(operation, min_size=1, max_size=25))
def test_balances_never_drift_whatever_the_history(loop_and_db, history):
    loop, db = loop_and_db
    world = World()
    for op in history:
        loop.run_until_complete(apply(db, world, op))
        loop.run_until_complete(check(db, world))


def test_the_ledger_refuses_to_be_rewritten(loop_and_db):
    loop, db = loop_and_db
    world = World()
    loop.run_until_complete(apply(db, world, ("adjust", 0, Decimal(3), False)))

    async def tamper(statement: str) -> str:
        async with db.engine.connect() as conn:
            try:
                await conn.execute(text(statement), {"user": world.users[0]})
            except Exception as exc:  # noqa: BLE001 - the database's refusal is what we want to see
                return str(exc)
            return "allowed"

    for statement in ("UPDATE credit_entries SET amount = 100 WHERE user_id = :user",
                      "DELETE FROM credit_entries WHERE user_id = :user"):
        assert "append-only" in loop.run_until_complete(tamper(statement))
    overdraft = loop.run_until_complete(tamper("UPDATE credit_accounts SET balance = -1 WHERE user_id = :user"))
    assert "ck_credit_accounts_wallet_not_negative" in overdraft
