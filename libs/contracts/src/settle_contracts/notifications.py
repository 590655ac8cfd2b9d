"""Events produced by the notifications service."""

from __future__ import annotations

from settle_contracts.envelope import Event  # noqa: F401
