"""Money: integer minor units with a lowercase ISO 4217 currency. One table of exponents.

Zero-decimal currencies (as Stripe lists them) have no minor unit: 3000 jpy is ¥3,000.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})
# Stripe charges these in minor units but only whole amounts; we treat them like two-decimal ones.
TWO_DECIMAL = frozenset(
    {"usd", "eur", "gbp", "chf", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln", "czk", "huf", "ron", "bgn",
     "sgd", "hkd", "mxn", "brl", "inr", "zar", "ils", "aed", "sar", "thb", "myr", "php", "idr", "try", "twd"}
)
SUPPORTED = ZERO_DECIMAL | TWO_DECIMAL
MAX_AMOUNT = 99_999_999
# Stripe's minimum charge per currency, in minor units (its published table, docs "Supported
# currencies" > "Minimum and maximum charge amounts"). For the other currencies Stripe asks for the
# equivalent of 0.50 USD after conversion, which moves with the rate: we ask for 50 minor units
# and leave the rest to Stripe, whose refusal is then a 422 naming the amount.
STRIPE_MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "krw": 700,
    "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50,
    "thb": 1000,
}
DEFAULT_MINIMUM_CHARGE = 50
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "krw": "₩", "inr": "₹", "ils": "₪", "vnd": "₫", "try": "₺"}


def exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2


def _supported(currency: str) -> str:
    if currency not in SUPPORTED:
        raise ValueError(f"unsupported currency {currency!r}; use a lowercase ISO 4217 code Settle supports")
    return currency


Currency = Annotated[str, Field(pattern=r"^[a-z]{3}$", examples=["usd"]), AfterValidator(_supported)]
# StrictInt: "30.00", 30.0 and "3000" are refused, not coerced.
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT, description="Integer minor units (cents; whole yen)")]


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    amount: Amount
    currency: Currency


def minimum_charge(currency: str) -> int:
    """The smallest amount Stripe charges in `currency` (minor units)."""
    return STRIPE_MINIMUM_CHARGE.get(currency, DEFAULT_MINIMUM_CHARGE)


def format_money(amount: int, currency: str) -> str:
    """`$30.00`, `¥3,000`, `€12.50`; unknown symbols fall back to the code: `12.50 CHF`."""
    places = exponent(currency)
    major, minor = divmod(abs(amount), 10**places)
    number = f"{major:,}" + (f".{minor:0{places}d}" if places else "")
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency.upper()}"


def prorate(amount: int, numerator: int, denominator: int) -> int:
    """`amount × numerator / denominator` rounded half up to a whole minor unit, in integers only
    (a fee of 1000 basis points: `prorate(price, 1000, 10_000)`). Every argument is >= 0."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise ValueError("prorate takes non-negative integers and a positive denominator")
    return (2 * amount * numerator + denominator) // (2 * denominator)
