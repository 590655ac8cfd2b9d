"""HTTP basic authentication as Twilio checks it: any AC account SID (or SK key) with any secret."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from twilio_sim.errors import authenticate


def require_account(request: Request, account_sid: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise authenticate()
    try:
        username, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise authenticate() from None
    if not sep or not secret:
        raise authenticate()
    if username.startswith("AC") and len(username) > 2:
        # An account's credentials only open that account's resources.
        if username != account_sid:
            raise authenticate()
        return
    if username.startswith("SK") and len(username) > 2 and account_sid.startswith("AC"):
        return
    raise authenticate()
