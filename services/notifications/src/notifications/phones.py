"""Phone numbers: the kit's (settle_kit.phones), shared with billing's invoices."""

from settle_kit.phones import NotTextable, textable_e164, time_zone

__all__ = ["NotTextable", "textable_e164", "time_zone"]
