"""Which service answers which public path. The one routing table of the platform."""

from __future__ import annotations

# Longest prefix wins; a prefix matches itself and anything below it.
ROUTES: dict[str, str] = {
    "/v1/projects": "messaging",
    "/v1/conversations": "messaging",
    "/v1/messages": "messaging",
    "/v1/attachments": "messaging",
    "/v1/message-purchases": "messaging",
    "/v1/admin/receipts": "messaging",
    "/v1/payments": "billing",
    "/v1/webhooks/stripe": "billing",
    "/v1/credit-packages": "billing",
    "/v1/credit-purchases": "billing",
    "/v1/balance": "billing",
    "/v1/admin/credit-packages": "billing",
    "/v1/admin/balance-adjustments": "billing",
    "/v1/admin/stripe-events": "billing",
    "/v1/admin/stripe-tasks": "billing",
    "/v1/admin/payment-stats": "billing",
    "/v1/invoices": "billing",
    "/v1/jobs": "billing",
    # Pages for people without an account (an invoice's customer), not API operations.
    "/pay": "billing",
    # Attachments' signed download links: the signature is the permission.
    "/files": "messaging",
    "/v1/experts": "bookings",
    "/v1/payout-accounts": "bookings",
    "/v1/bookings": "bookings",
    "/v1/admin/payouts": "bookings",
    "/v1/admin/metrics": "bookings",
    "/v1/me/contact": "notifications",
    "/v1/sms": "notifications",
    "/v1/admin/sms": "notifications",
    "/v1/admin/opt-outs": "notifications",
    "/v1/webhooks/twilio": "notifications",
}

# Callers that cannot hold our JWT; the service verifies their own signature instead (webhooks)
# or the address is the secret (an invoice's payment link).
PUBLIC_PREFIXES = ("/v1/webhooks/", "/pay/", "/files/")
# What the gateway forwards; anything else it answers itself.
FORWARDED_PREFIXES = ("/v1/", "/pay/", "/files/")
# Uploads may be larger than other bodies (the service checks each file's own limit).
UPLOAD_PATHS = frozenset({"/v1/attachments"})

_BY_LENGTH = sorted(ROUTES.items(), key=lambda item: len(item[0]), reverse=True)


def service_for(path: str) -> str | None:
    for prefix, service in _BY_LENGTH:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return None


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def is_forwarded(path: str) -> bool:
    return path.startswith(FORWARDED_PREFIXES)
