"""Field types the public API shares."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from settle_kit.auth import RESERVED_USER_IDS


def _not_reserved(user_id: str) -> str:
    if user_id in RESERVED_USER_IDS:
        raise ValueError(f"{user_id!r} is reserved")
    return user_id


UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$"), AfterValidator(_not_reserved)]
