"""How many SMS segments a body takes, as carriers count them.

GSM-7 when every character is in the GSM 03.38 alphabet: 160 septets in one segment, else 153 per
segment; extension characters (`€ [ ] { } \\ ^ ~ |` and form feed) take two septets and are never
split across segments. Otherwise UCS-2: 70 UTF-16 units, else 67 per segment, a surrogate pair
never split.
"""

from __future__ import annotations

MAX_SEGMENTS = 10

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def is_gsm7(body: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in body)


def count_segments(body: str) -> int:
    if is_gsm7(body):
        units = [2 if c in _GSM7_EXTENSION else 1 for c in body]
        single, multi = 160, 153
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in body]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments
