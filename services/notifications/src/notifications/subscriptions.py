"""The events notifications consumes: the one list. Empty until its first consumer lands."""

from settle_kit.bus.subscriptions import Subscriptions

SUBSCRIPTIONS = Subscriptions({})
