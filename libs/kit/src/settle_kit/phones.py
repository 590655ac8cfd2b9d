"""Phone numbers, shared by the services that text people: E.164 and whether a number can receive SMS, by `phonenumbers`; its time zone."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as number_timezones

# Numbers that can get texts. FIXED_LINE_OR_MOBILE: the US and Canada do not tell them apart.
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Twilio's magic test numbers (+1 500 555 xxxx), accepted outside production so that the
# simulator's outcomes can be reached; `phonenumbers` calls them personal numbers.
_TWILIO_TEST_NUMBER = re.compile(r"^\+1500555\d{4}$")
_UTC = ZoneInfo("UTC")


class NotTextable(ValueError):
    """Why a number cannot get an SMS (the message names it for the caller)."""


def textable_e164(raw: str, *, allow_test_numbers: bool) -> str:
    """The number in E.164 (`+14155552671`), or NotTextable. Numbers must carry their country
    code (`+…`): we cannot guess a region for a platform used across countries."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise NotTextable("Give the number in international format with its country code, e.g. +14155552671.") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if allow_test_numbers and _TWILIO_TEST_NUMBER.match(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise NotTextable("This is not a valid phone number.")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise NotTextable("This number cannot receive text messages; give a mobile number.")
    return e164


# A number's zone is read on every reminder decision and quiet-hour check: parsing it costs
# about 0.4 ms, a cached answer nothing.
@lru_cache(maxsize=65536)
def time_zone(e164: str) -> ZoneInfo:
    """The number's time zone: the first `phonenumbers` gives (a country spanning several zones
    gets its first; unknown → UTC)."""
    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return _UTC
    for name in zones:
        if name != number_timezones.UNKNOWN_TIMEZONE:
            return ZoneInfo(name)
    return _UTC
