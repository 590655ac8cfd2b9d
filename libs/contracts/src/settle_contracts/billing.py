"""Events produced by the billing service."""

from __future__ import annotations

from settle_contracts.envelope import Event  # noqa: F401
