"""Events produced by the bookings service."""

from __future__ import annotations

from settle_contracts.envelope import Event  # noqa: F401
