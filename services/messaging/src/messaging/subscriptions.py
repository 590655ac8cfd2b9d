"""The events messaging consumes: the one list. Payment receipts arrive with billing's events."""

from settle_kit.bus.subscriptions import Subscriptions

SUBSCRIPTIONS = Subscriptions({})
