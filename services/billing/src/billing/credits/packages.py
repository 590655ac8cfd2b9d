"""Credit packages: what users can buy. Admins create, change and retire them; a retired
package stays for the purchases that refer to it."""

from __future__ import annotations

from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import NotFound, Unprocessable
from settle_kit.models import new_id
from settle_kit.money import format_money, minimum_charge

from billing.credits.models import CreditPackage
from billing.credits.repository import CreditRepository
from billing.credits.schemas import PackageCreate, PackageUpdate


async def create(uow: UnitOfWork, data: PackageCreate) -> CreditPackage:
    _check_price(data.price.amount, data.price.currency)
    package = CreditPackage(
        id=new_id("cpk"),
        name=data.name,
        description=data.description,
        price_amount=data.price.amount,
        price_currency=data.price.currency,
        credits=data.credits,
        sort_order=data.sort_order,
        is_active=True,
    )
    CreditRepository(uow.session).add(package)
    await uow.session.flush()
    return package


async def update(uow: UnitOfWork, package_id: str, data: PackageUpdate) -> CreditPackage:
    package = await CreditRepository(uow.session).package(package_id)
    if package is None:
        raise NotFound("No such credit package.", code="credit_package_not_found")
    changes = data.model_dump(exclude_unset=True)
    if (price := changes.pop("price", None)) is not None:
        _check_price(price["amount"], price["currency"])
        package.price_amount, package.price_currency = price["amount"], price["currency"]
    for field, value in changes.items():
        if value is not None or field == "description":
            setattr(package, field, value)
    await uow.session.flush()
    return package


def _check_price(amount: int, currency: str) -> None:
    """A package Stripe cannot charge for (below its minimum for the currency) is refused here,
    where its price is set, not when someone tries to buy it."""
    if amount < (minimum := minimum_charge(currency)):
        raise Unprocessable(
            f"Stripe cannot charge less than {format_money(minimum, currency)} in {currency.upper()}.", code="price_below_minimum", field="price"
        )


def view(package: CreditPackage) -> dict:
    return {
        "id": package.id,
        "name": package.name,
        "description": package.description,
        "price": {"amount": package.price_amount, "currency": package.price_currency},
        "credits": package.credits,
        "sort_order": package.sort_order,
        "is_active": package.is_active,
        "created_at": package.created_at,
        "updated_at": package.updated_at,
    }
