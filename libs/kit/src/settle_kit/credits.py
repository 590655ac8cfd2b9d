"""Credits: exact decimals with up to 6 fraction digits, sent and shown as strings ("12.500000").

Strings only on the way in: a JSON float has already lost exactness before we could see it, so
`12.5` is refused like any other bad amount (422), and so is an integer, to keep one form.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

PLACES = 6
QUANTUM = Decimal(1).scaleb(-PLACES)
# Numeric(18, 6) in the database: at most 12 integer digits.
_PATTERN = re.compile(r"^-?\d{1,12}(\.\d{1,6})?$")


def format_credits(value: Decimal) -> str:
    return f"{value.quantize(QUANTUM):f}"


def shown_credits(value: Decimal) -> str:
    """Credits as people read them in a sentence: `15`, `12.5`."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _parse(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        text = format_credits(value) if value == value.quantize(QUANTUM) else str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError('credits are a string with up to 6 decimal places, e.g. "12.500000"')
    if not _PATTERN.match(text):
        raise ValueError('credits are a string with up to 6 decimal places, e.g. "12.500000"')
    return Decimal(text).quantize(QUANTUM)


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be more than zero")
    return value


def _not_zero(value: Decimal) -> Decimal:
    if value == 0:
        raise ValueError("must not be zero")
    return value


_AS_STRING = WithJsonSchema({"type": "string", "pattern": _PATTERN.pattern, "examples": ["12.500000"]})
_SHOWN = PlainSerializer(format_credits, return_type=str)

# Inputs.
PositiveCredits = Annotated[Decimal, BeforeValidator(_parse), AfterValidator(_positive), _AS_STRING, _SHOWN]
SignedCredits = Annotated[Decimal, BeforeValidator(_parse), AfterValidator(_not_zero), _AS_STRING, _SHOWN]
# Outputs (read from the database, always shown with 6 places).
CreditsOut = Annotated[Decimal, _AS_STRING, _SHOWN]
