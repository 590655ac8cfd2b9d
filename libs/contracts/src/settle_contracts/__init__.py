"""Settle's event contracts: the envelope and one versioned module of events per producer.

Consumers ignore unknown fields, so a producer may add optional fields without a new version;
removing or changing a field means a new event version.
"""

from settle_contracts.envelope import Envelope, Event, registry

__all__ = ["Envelope", "Event", "registry"]
