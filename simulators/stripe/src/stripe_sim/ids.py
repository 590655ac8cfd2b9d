"""Stripe-looking object ids: prefix, underscore, base-62 characters."""

from __future__ import annotations

import base64
import os

# urandom + base64 is several times cheaper than drawing characters one by one; the two
# non-alphanumeric base64 characters are mapped onto letters to keep ids Stripe-shaped.
_TO_ALNUM = str.maketrans({"+": "x", "/": "Z", "=": "Q"})


def token(length: int = 24) -> str:
    raw = base64.b64encode(os.urandom((length * 3 + 3) // 4)).decode()
    return raw[:length].translate(_TO_ALNUM)


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + token(length)
