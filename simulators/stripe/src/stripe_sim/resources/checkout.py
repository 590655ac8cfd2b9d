"""Checkout Sessions (placeholder until the hosted page lands)."""


def expire_due(sim) -> None:
    return None


def routes(r):
    return None
