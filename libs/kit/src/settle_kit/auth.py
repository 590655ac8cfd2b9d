"""JWT identities exactly as API.md states: HS256, `sub`, `role`, `exp`.

Every service verifies the bearer token itself (the gateway forwards it), so calling a service
directly with a forged identity gets the same 401 as through the gateway.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from settle_kit.errors import Forbidden, Unauthorized

Role = Literal["user", "admin", "service"]
ROLES: tuple[Role, ...] = ("user", "admin", "service")
USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Messages from the platform itself carry this sender id; no person may have it.
RESERVED_USER_IDS = frozenset({"system"})
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_service(self) -> bool:
        return self.role == "service"


def mint_token(secret: str, user_id: str, role: Role = "user", ttl: timedelta = timedelta(hours=12)) -> tuple[str, datetime]:
    if not USER_ID.match(user_id) or user_id in RESERVED_USER_IDS:
        raise ValueError("user_id must be 1-64 of [A-Za-z0-9_-] and not a reserved id")
    expires_at = datetime.now(UTC).replace(microsecond=0) + ttl
    token = jwt.encode({"sub": user_id, "role": role, "exp": expires_at}, secret, algorithm=ALGORITHM)
    return token, expires_at


def verify_token(secret: str, token: str) -> Principal:
    principal, expires = _verified(secret, token)
    # A token verified before is taken from the cache, so its expiry is checked here each time.
    if expires <= time.time():
        raise Unauthorized("The token has expired.", code="token_expired")
    return principal


# Clients send the same token with every request: its signature is checked once, not each time.
# Only tokens that verified are kept (an exception is never cached), keyed by the whole token.
@functools.lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[Principal, float]:
    try:
        # `algorithms` pins HS256: tokens signed otherwise, or `alg: none`, are refused here.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"The token is invalid: {exc}.", code="invalid_token") from None
    sub, role = claims.get("sub"), claims.get("role", "user")
    if not isinstance(sub, str) or not USER_ID.match(sub) or sub in RESERVED_USER_IDS:
        raise Unauthorized("The token's subject is not a valid user id.", code="invalid_token")
    if role not in ROLES:
        raise Unauthorized("The token's role is not known.", code="invalid_token")
    return Principal(user_id=sub, role=role), float(claims["exp"])


_bearer = HTTPBearer(auto_error=False, description="JWT (HS256) with `sub`, `role`, `exp`")


def token_secret(request: Request) -> str:
    return request.app.state.settings.jwt_secret.get_secret_value()


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer token is required.", code="missing_token")
    return verify_token(token_secret(request), credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role):
    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"This needs the role {' or '.join(roles)}.", code="forbidden")
        return principal

    return Depends(_check)


# The caller, who must be an admin (403 otherwise).
AdminPrincipal = Annotated[Principal, require_role("admin")]
