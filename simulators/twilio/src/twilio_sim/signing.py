"""X-Twilio-Signature, computed as Twilio computes it for form-encoded webhooks.

Written independently of the SDK's RequestValidator so the tests, which verify with the SDK,
check the simulator against Twilio's algorithm rather than against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    # HMAC-SHA1 over the exact URL followed by every name+value, sorted by name then value.
    payload = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
