"""Charges, balance transactions, application fees and destination transfers behind PaymentIntents."""

from __future__ import annotations

from ..currencies import ZERO_DECIMAL
from ..ids import new_id
from ..params import check_unknown, get_str
from .common import fetch, list_page


def stripe_fee(amount: int, currency: str) -> int:
    # 2.9 % + 30 minor units (3.6 % for zero-decimal currencies), rounded half up, integers only.
    if currency in ZERO_DECIMAL:
        return (amount * 36 + 500) // 1000
    return (amount * 29 + 500) // 1000 + 30


def balance_transaction(ctx, amount: int, currency: str, source: str, type: str, fee: int = 0,
                        description: str | None = None, reporting_category: str | None = None) -> dict:
    now = ctx.sim.now()
    txn = {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": now + 2 * 86400,
        "balance_type": "payments",
        "created": now,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [{"amount": fee, "application": None, "currency": currency,
                         "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
        "net": amount - fee,
        "reporting_category": reporting_category or type,
        "source": source,
        "status": "pending",
        "type": type,
    }
    ctx.store.add(txn)
    return txn


def new_charge(ctx, pi: dict, pm: dict) -> dict:
    card = pm["card"]
    charge = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": pi["application_fee_amount"],
        "balance_transaction": None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "SETTLE SIMULATOR",
        "captured": False,
        "created": ctx.sim.now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "destination": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": pi["on_behalf_of"],
        "outcome": None,
        "paid": False,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": pi["amount"],
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "network": card["brand"],
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": pi["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": pi["shipping"],
        "source_transfer": None,
        "statement_descriptor": pi["statement_descriptor"],
        "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
        "status": "pending",
        "transfer": None,
        "transfer_data": pi["transfer_data"],
        "transfer_group": pi["transfer_group"],
    }
    ctx.store.add(charge, ("charge", "payment_intent", pi["id"]))
    if pi["customer"]:
        ctx.store.index(("charge", "customer", pi["customer"])).add(charge["id"], charge["created"])
    return charge


def authorized_outcome(risk: int = 20) -> dict:
    return {
        "advice_code": None, "network_advice_code": None, "network_decline_code": None,
        "network_status": "approved_by_network", "reason": None, "risk_level": "normal", "risk_score": risk,
        "seller_message": "Payment complete.", "type": "authorized",
    }


def declined_outcome(decline_code: str | None) -> dict:
    return {
        "advice_code": None, "network_advice_code": None, "network_decline_code": None,
        "network_status": "declined_by_network", "reason": decline_code, "risk_level": "normal",
        "risk_score": 20, "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def capture(ctx, charge: dict, amount: int, application_fee_amount: int | None) -> None:
    """Move money: the charge is captured, the platform gets a balance transaction, and a destination
    charge pays its connected account (less the application fee)."""
    charge["captured"] = True
    charge["amount_captured"] = amount
    charge["paid"] = True
    charge["status"] = "succeeded"
    cur = charge["currency"]
    txn = balance_transaction(ctx, amount, cur, charge["id"], "charge", stripe_fee(amount, cur), charge["description"])
    charge["balance_transaction"] = txn["id"]
    transfer_data = charge.get("transfer_data")
    if application_fee_amount is not None:
        charge["application_fee_amount"] = application_fee_amount
    if transfer_data and transfer_data.get("destination"):
        from .connect import destination_payment

        destination_payment(ctx, charge, amount, application_fee_amount)


def retrieve(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "charge", "charge")


def update(ctx, params, id):
    from ..params import ANY, metadata

    check_unknown(params, {"metadata": ANY, "description": None, "receipt_email": None, "shipping": ANY,
                           "fraud_details": ANY, "transfer_group": None})
    charge = fetch(ctx, id, "charge", "charge")
    if "metadata" in params:
        charge["metadata"] = metadata(params, charge["metadata"])
    for field in ("description", "receipt_email", "transfer_group"):
        if field in params:
            charge[field] = get_str(params, field) or None
    ctx.store.dirty = True
    ctx.sim.emit("charge.updated", charge)
    return charge


def list_(ctx, params):
    pi = get_str(params, "payment_intent")
    customer = get_str(params, "customer")
    if pi:
        key = ("charge", "payment_intent", pi)
    elif customer:
        key = ("charge", "customer", customer)
    else:
        key = ("charge",)
    return list_page(ctx, params, "/v1/charges", key,
                     {"payment_intent": None, "customer": None, "transfer_group": None})


def retrieve_balance_transaction(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "balance_transaction", "balance transaction")


def list_balance_transactions(ctx, params):
    source = get_str(params, "source")
    kind = get_str(params, "type")
    pred = None
    if source or kind:
        pred = lambda t: (not source or t["source"] == source) and (not kind or t["type"] == kind)  # noqa: E731
    return list_page(ctx, params, "/v1/balance_transactions", ("balance_transaction",),
                     {"source": None, "type": None, "currency": None, "payout": None}, pred)


def routes(r):
    r.add("GET", "/v1/charges", list_)
    r.add("GET", "/v1/charges/{id}", retrieve)
    r.add("POST", "/v1/charges/{id}", update)
    r.add("GET", "/v1/balance_transactions", list_balance_transactions)
    r.add("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction)
