"""Connect Express accounts: one per payee, opened on request, followed through `account.updated`."""

from __future__ import annotations

import stripe

from settle_contracts import billing as events
from settle_kit.bus.uow import UnitOfWork
from settle_kit.models import utcnow

from billing.connect.models import PayoutAccount
from billing.connect.repository import ConnectRepository


async def open_account(
    uow: UnitOfWork, client: stripe.StripeClient, user_id: str, *, return_url: str, refresh_url: str
) -> tuple[PayoutAccount, str]:
    """The user's account (created on first call) and a fresh onboarding link: links expire within
    minutes, so every call makes a new one, while the account is made once. No transaction is
    open while Stripe is asked: concurrent first calls for one user send the same idempotency key
    and get the same Stripe account, and the first to record it wins."""
    account = await ConnectRepository(uow.session).ensure_account(user_id)
    await uow.commit()
    if account.stripe_account_id is None:
        created = await client.v1.accounts.create_async(
            params={
                "type": "express",
                "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
                "metadata": {"user_id": user_id},
            },
            # One Stripe account per user even if our answer was lost and the call repeated.
            options={"idempotency_key": f"settle-connect-account-{user_id}"},
        )
        account = await ConnectRepository(uow.session).claim_account(user_id)
        if account.stripe_account_id is None:
            account.stripe_account_id = created.id
            _copy_flags(account, created)
            await uow.session.flush()
            uow.emit(_updated(account))
        await uow.commit()
    link = await client.v1.account_links.create_async(
        params={"account": account.stripe_account_id, "type": "account_onboarding", "return_url": return_url, "refresh_url": refresh_url}
    )
    return account, link.url


async def sync_account(uow: UnitOfWork, client: stripe.StripeClient, stripe_account_id: str | None) -> bool:
    """What Stripe says about the account now (not the event's copy, which may be stale or out
    of order). Returns whether anything changed. (Reads Stripe inside the caller's transaction:
    use `fetch_account` outside it, then `apply_account`, where the caller can.)"""
    fresh = await fetch_account(client, stripe_account_id)
    return await apply_account(uow, fresh) if fresh is not None else False


async def fetch_account(client: stripe.StripeClient, stripe_account_id: str | None) -> stripe.Account | None:
    return await client.v1.accounts.retrieve_async(stripe_account_id) if stripe_account_id else None


async def apply_account(uow: UnitOfWork, fresh: stripe.Account) -> bool:
    """Records the account's flags as Stripe gave them; False when it is not ours or nothing changed."""
    account = await ConnectRepository(uow.session).account_by_stripe_id(fresh.id)
    if account is None:
        return False  # not one of ours
    before = (account.payouts_enabled, account.charges_enabled, account.details_submitted)
    if before == _flags(fresh):
        return False
    _copy_flags(account, fresh)
    await uow.session.flush()
    uow.emit(_updated(account))
    return True


def _flags(stripe_account: stripe.Account) -> tuple[bool, bool, bool]:
    return (
        bool(getattr(stripe_account, "payouts_enabled", False)),
        bool(getattr(stripe_account, "charges_enabled", False)),
        bool(getattr(stripe_account, "details_submitted", False)),
    )


def _copy_flags(account: PayoutAccount, stripe_account: stripe.Account) -> None:
    account.payouts_enabled, account.charges_enabled, account.details_submitted = _flags(stripe_account)
    account.updated_at = utcnow()


def _updated(account: PayoutAccount) -> events.PayoutAccountUpdated:
    return events.PayoutAccountUpdated(
        user_id=account.user_id,
        account_id=account.stripe_account_id,
        payouts_enabled=account.payouts_enabled,
        charges_enabled=account.charges_enabled,
        details_submitted=account.details_submitted,
        updated_at=account.updated_at,
    )
