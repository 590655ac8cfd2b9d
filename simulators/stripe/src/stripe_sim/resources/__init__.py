"""Stripe API resources; each module registers its routes."""

from . import (charges, checkout, connect, customers, payment_intents, payment_links, payment_methods, products,
               refunds, webhook_endpoints)

ROUTE_MODULES = [customers, payment_methods, payment_intents, charges, refunds, webhook_endpoints, connect,
                 products, checkout, payment_links]
