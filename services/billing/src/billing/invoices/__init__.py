"""Invoices and payment links: a business bills its customer (no Settle account) by SMS links.

The customer pays on Stripe's hosted page through a Checkout Session opened per visit of our
short link (`/pay/{code}`); the money is a billing Payment of purpose `invoice` (billing.checkout),
so refunds, Stripe's dashboard and reconciliation treat it like any other payment. Texts go
through notifications (`notifications.sms.requested`); reminders are decided here, because
only billing knows at that instant whether the invoice is paid.
"""
