"""Signed, short-lived download links (no I/O).

A link names one attachment and the second it expires, and carries an HMAC-SHA256 of both under
the service's key: changing the attachment or the expiry breaks the signature, and an expired
link is refused however it is signed. Links are bearer links (whoever holds one may fetch until
it expires, at most five minutes), so a revoked buyer's links die with their expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

PATH = "/files"


def _signature(secret: str, attachment_id: str, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"{attachment_id}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(secret: str, base_url: str, attachment_id: str, now: datetime, ttl_s: int) -> tuple[str, datetime]:
    expires_at = (now + timedelta(seconds=ttl_s)).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    query = urlencode({"expires": expires, "signature": _signature(secret, attachment_id, expires)})
    return f"{base_url.rstrip('/')}{PATH}/{attachment_id}?{query}", expires_at


def verify(secret: str, attachment_id: str, expires: str, signature: str, now: datetime) -> str | None:
    """None when the link is good; else why not (`link_invalid`, `link_expired`)."""
    if not expires.isdigit() or not hmac.compare_digest(_signature(secret, attachment_id, int(expires)), signature):
        return "link_invalid"
    if datetime.fromtimestamp(int(expires), UTC) <= now:
        return "link_expired"
    return None
