"""Stripe-looking object ids: prefix, underscore, 24 base-62 characters."""

from __future__ import annotations

import os
import random

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# A private generator: tests seeding the global `random` must not make ids collide across runs.
_rng = random.Random(os.urandom(16))


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(_rng.choices(_ALPHABET, k=length))


def token(length: int = 24) -> str:
    return "".join(_rng.choices(_ALPHABET, k=length))
