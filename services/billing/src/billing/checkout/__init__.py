"""Stripe Checkout for any purpose: sessions opened outside transactions, and their outcomes sent
to the context that owns the purpose.

How a purpose plugs in (invoices do it for `invoice`, message unlocks for `message_unlock`):

1. Open a session with `sessions.open_session(...)` after your decision is committed (no
   transaction open: it calls Stripe). Give it the `purpose`, your `reference_type`/`reference_id`,
   who pays and who is paid, and an idempotency key fixed by your own ids (a retry after a lost
   answer gets the same session back). The metadata it writes is how its events find you.
2. Register a `CheckoutPurpose` for your purpose at the composition root
   (`billing.subscriptions.CHECKOUT_PURPOSES`, installed by `app.create_app`); billing's
   aggregate never imports your context.
3. When the session completes, billing records the money as a `Payment` of your purpose (one per
   session, id fixed by the session; its PaymentIntent is stored, so later PaymentIntent, refund
   and `charge.refunded` events reach it like any other payment). Every move of that payment
   (`processing`, `succeeded`, `failed`, `partially_refunded`, `refunded`; refunds asked for here
   or made in Stripe's dashboard) calls your `on_payment_moved` in the transaction that moved it.
   `checkout.session.expired` calls your `on_session_expired` (that session only).

Events about sessions without a registered purpose (another product on the same Stripe account)
are ignored.

Why a `Payment` and not a table of checkout money of its own: billing has one payment aggregate
for every purpose (DESIGN), and it already has what checkout money needs: forward-only states,
refunds that never exceed what was paid, Stripe's dashboard refunds, reconciliation, the
`billing.payment.*` events other services follow, and `GET /v1/payments` for the payee.
"""
