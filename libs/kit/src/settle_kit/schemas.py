"""Field types the public API shares."""

from typing import Annotated

from pydantic import StringConstraints

UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
