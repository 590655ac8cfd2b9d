"""Currency facts: which currencies have no minor unit, and Stripe's minimum and maximum charge amounts."""

from __future__ import annotations

from .errors import StripeError, invalid

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)

# Minimum charge per currency in its smallest unit (Stripe's published table); others fall back
# to 50 units, roughly the 0.50 USD Stripe requires after conversion.
MINIMUM_AMOUNT = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "krw": 700,
    "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50,
    "thb": 1000,
}

MAXIMUM_AMOUNT = 99_999_999

SUPPORTED = frozenset(
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd "
    "cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq "
    "gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad "
    "mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln "
    "pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs "
    "uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw".split()
)


def parse_currency(value, param: str = "currency") -> str:
    if not isinstance(value, str) or value.lower() not in SUPPORTED:
        raise invalid(param, f"Invalid currency: {value}. Stripe currently supports these currencies: "
                      + ", ".join(sorted(SUPPORTED)), code="parameter_invalid")
    return value.lower()


def format_amount(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency}"
    return f"{amount // 100:,}.{amount % 100:02d} {currency}"


def check_charge_amount(amount: int, currency: str, param: str = "amount") -> None:
    minimum = MINIMUM_AMOUNT.get(currency, 50)
    if amount < minimum:
        raise StripeError(
            400,
            f"Amount must be at least {format_amount(minimum, currency)}",
            code="amount_too_small",
            param=param,
        )
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            400,
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            code="amount_too_large",
            param=param,
        )
