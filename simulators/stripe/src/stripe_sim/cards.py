"""Stripe's test cards and test PaymentMethod tokens, and what each one does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .errors import StripeError


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str | None
    message: str


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
LOST = Decline("card_declined", "lost_card", "Your card was declined.")
STOLEN = Decline("card_declined", "stolen_card", "Your card was declined.")
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.")
CVC = Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.")
PROCESSING = Decline("processing_error", "processing_error",
                     "An error occurred while processing your card. Try again in a little bit.")
FRAUD = Decline("card_declined", "fraudulent", "Your card was declined.")

# Declined both when attached to a customer and when charged.
DECLINED = {
    "4000000000000002": GENERIC,
    "4000000000009995": INSUFFICIENT,
    "4000000000009987": LOST,
    "4000000000009979": STOLEN,
    "4000000000000069": EXPIRED,
    "4000000000000127": CVC,
    "4000000000000119": PROCESSING,
    "4100000000000019": FRAUD,
}
# Attach fine, fail when charged.
CHARGE_FAILS = {"4000000000000341": GENERIC}
# Need 3-D Secure before they can be charged.
AUTHENTICATION_REQUIRED = frozenset(
    {"4000002500003155", "4000002760003184", "4000000000003220", "4000000000003063", "4000008260003178"}
)
# Simulator-only: the payment sits in `processing` until a test helper settles it.
PROCESSING_CARD = "4000000000007726"

TOKENS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_mastercard_prepaid": "5105105105105100",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_diners": "3056930009020004",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_us": "4242424242424242",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_sim_processing": PROCESSING_CARD,
}
# Legacy `tok_…` card tokens are accepted where a card token is.
TOKENS.update({"tok_" + k[len("pm_card_"):]: v for k, v in TOKENS.items()})


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65", "644")):
        return "discover"
    if number.startswith(("300", "301", "302", "303", "304", "305", "36", "38")):
        return "diners"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def check_number(number: str, param: str = "card[number]") -> str:
    number = number.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_ok(number):
        raise StripeError(
            402, "Your card number is incorrect.", type="card_error", code="incorrect_number", param=param
        )
    return number


def card_details(number: str, exp_month: int, exp_year: int) -> dict:
    b = brand(number)
    return {
        "brand": b,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": "US",
        "display_brand": b,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": hashlib.sha1(number.encode()).hexdigest()[:16],
        "funding": "debit" if number in {"4000056655665556", "5200828282828210"} else
                   "prepaid" if number == "5105105105105100" else "credit",
        "generated_from": None,
        "last4": number[-4:],
        "networks": {"available": [b], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def decline_error(decline: Decline, extra: dict | None = None) -> StripeError:
    return StripeError(
        402,
        decline.message,
        type="card_error",
        code=decline.code,
        decline_code=decline.decline_code,
        extra=extra,
    )
