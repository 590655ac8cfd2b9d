"""Stripe API resources; each module registers its routes."""

from . import charges, connect, customers, payment_intents, payment_methods, refunds, webhook_endpoints

ROUTE_MODULES = [customers, payment_methods, payment_intents, charges, refunds, webhook_endpoints, connect]

try:  # checkout, products and payment links land in a later module set
    from . import checkout, payment_links, products

    ROUTE_MODULES += [products, checkout, payment_links]
except ImportError:  # pragma: no cover
    pass
