"""API keys: any `sk_test_…` secret key; `pk_test_…` only where Stripe.js would call."""

from __future__ import annotations

import base64

from .errors import StripeError

SECRET = "secret"
PUBLISHABLE = "publishable"


def _redact(key: str) -> str:
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key


def authenticate(authorization: str | None) -> tuple[str, str]:
    if not authorization:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
            "for details, or we can help at https://support.stripe.com/.",
        )
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        key = value.strip()
    elif scheme == "basic":
        try:
            key = base64.b64decode(value.strip()).decode().partition(":")[0]
        except Exception:
            key = ""
    else:
        key = ""
    if key.startswith("sk_test_") and len(key) > 8:
        return key, SECRET
    if key.startswith("pk_test_") and len(key) > 8:
        return key, PUBLISHABLE
    raise StripeError(401, f"Invalid API Key provided: {_redact(key)}")


def publishable_not_allowed() -> StripeError:
    return StripeError(
        401,
        "This API call cannot be made with a publishable API key. Please use a secret API key. "
        "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
    )
