"""The registry of checkout purposes: which context hears about which Checkout Sessions.

Filled once at the composition root (`app.create_app` installs `subscriptions.CHECKOUT_PURPOSES`),
so the payments aggregate and the webhook processor dispatch by `purpose` without importing the
contexts that own the purposes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from settle_kit.bus.uow import UnitOfWork

    from billing.payments.models import Payment

PaymentMoved = Callable[..., Awaitable[None]]  # (uow, payment, target, **extra)
SessionExpired = Callable[["UnitOfWork", dict[str, Any]], Awaitable[None]]


async def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


@dataclass(frozen=True)
class CheckoutPurpose:
    """What the owner of a purpose is told, inside the transaction that records it.

    `on_payment_moved(uow, payment, target, **extra)`: the purpose's payment moved to `target`
    (`extra` carries `refund_id` and `refund_amount` for refunds).
    `on_session_expired(uow, session)`: one Checkout Session of the purpose expired unpaid (the
    signed event's object, as a dict)."""

    on_payment_moved: PaymentMoved = _nothing
    on_session_expired: SessionExpired = _nothing


_registered: dict[str, CheckoutPurpose] = {}


def install(purposes: Mapping[str, CheckoutPurpose]) -> None:
    """Called by the composition root (and by tests building their own)."""
    _registered.clear()
    _registered.update(purposes)


def installed() -> dict[str, CheckoutPurpose]:
    return dict(_registered)


def handler_for(purpose: str | None) -> CheckoutPurpose | None:
    return _registered.get(purpose) if purpose else None


async def payment_moved(uow: UnitOfWork, payment: Payment, target: str, **extra: Any) -> None:
    """Tells the payment's purpose, if one is registered, that its payment moved."""
    handler = handler_for(payment.purpose)
    if handler is not None:
        await handler.on_payment_moved(uow, payment, target, **extra)
