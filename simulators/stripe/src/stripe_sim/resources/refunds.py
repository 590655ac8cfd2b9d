"""Refunds, full or partial, never more than what is left on the charge."""

from __future__ import annotations

from .. import errors
from ..currencies import format_amount
from ..errors import StripeError
from ..ids import new_id
from ..params import ANY, check_unknown, get_bool, get_int, get_str, metadata
from . import charges
from .common import fetch, list_page

REASONS = ("duplicate", "fraudulent", "requested_by_customer")
SCHEMA = {"payment_intent": None, "charge": None, "amount": None, "reason": None, "metadata": ANY,
          "refund_application_fee": None, "reverse_transfer": None, "instructions_email": None,
          "currency": None, "customer": None, "origin": None}
# Stripe's test card whose refunds succeed first and fail a moment later.
REFUND_FAILS_CARD = "4000000000005126"


def create(ctx, params):
    check_unknown(params, SCHEMA)
    pi_id = get_str(params, "payment_intent")
    charge_id = get_str(params, "charge")
    if not pi_id and not charge_id:
        raise errors.missing("payment_intent", "One of the following params should be provided for this request: "
                                               "payment_intent or charge.")
    if pi_id and charge_id:
        raise errors.invalid("charge", "You cannot specify both a charge and a payment_intent.")
    if pi_id:
        pi = fetch(ctx, pi_id, "payment_intent", "payment_intent", "payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise StripeError(
                400,
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        charge = ctx.store.objects[pi["latest_charge"]]
    else:
        charge = fetch(ctx, charge_id, "charge", "charge", "charge")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise StripeError(400, f"Charge {charge_id} has not been captured and cannot be refunded.",
                              code="charge_not_refundable", param="charge")
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = get_int(params, "amount")
    if amount is None:
        amount = remaining
    elif amount <= 0:
        raise errors.invalid("amount", "Invalid positive integer", code="parameter_invalid_integer")
    cur = charge["currency"]
    if amount > remaining:
        raise StripeError(
            400,
            f"Refund amount ({format_amount(amount, cur)}) is greater than unrefunded amount on charge "
            f"({format_amount(remaining, cur)})",
            code="amount_too_large",
            param="amount",
        )
    reason = get_str(params, "reason", choices=REASONS)
    sim = ctx.sim
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": sim.now(),
        "currency": cur,
        "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number",
                                         "type": "refund"}, "type": "card"},
        "metadata": metadata(params),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    txn = charges.balance_transaction(ctx, -amount, cur, refund["id"], "refund", 0, "REFUND FOR CHARGE")
    refund["balance_transaction"] = txn["id"]
    ctx.store.add(refund, ("refund", "charge", charge["id"]))
    if charge["payment_intent"]:
        ctx.store.index(("refund", "payment_intent", charge["payment_intent"])).add(refund["id"], refund["created"])
    prev = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    if get_bool(params, "reverse_transfer") and charge.get("transfer"):
        from .connect import reverse_for_refund

        refund["transfer_reversal"] = reverse_for_refund(ctx, charge, amount)
    if get_bool(params, "refund_application_fee") and charge.get("application_fee"):
        from .connect import refund_application_fee

        refund_application_fee(ctx, charge, amount)
    ctx.store.dirty = True
    sim.emit("refund.created", refund)
    sim.emit("charge.refunded", charge, prev)
    from .payment_methods import number_of

    if number_of(ctx, charge["payment_method"]) == REFUND_FAILS_CARD:
        sim.later(0.2, _fail_refund, ctx, refund["id"])
    return refund


def _fail_refund(ctx, refund_id: str) -> None:
    refund = ctx.store.objects[refund_id]
    charge = ctx.store.objects[refund["charge"]]
    refund["status"] = "failed"
    refund["failure_reason"] = "expired_or_canceled_card"
    txn = charges.balance_transaction(ctx, refund["amount"], refund["currency"], refund_id, "refund_failure", 0,
                                      "REFUND FAILURE")
    refund["failure_balance_transaction"] = txn["id"]
    charge["amount_refunded"] -= refund["amount"]
    charge["refunded"] = False
    ctx.store.dirty = True
    ctx.sim.emit("refund.updated", refund, {"status": "succeeded"})
    ctx.sim.emit("refund.failed", refund)
    ctx.sim.emit("charge.refund.updated", refund, {"status": "succeeded"})


def retrieve(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "refund", "refund")


def update(ctx, params, id):
    check_unknown(params, {"metadata": ANY})
    refund = fetch(ctx, id, "refund", "refund")
    prev = {"metadata": dict(refund["metadata"])}
    refund["metadata"] = metadata(params, refund["metadata"])
    ctx.store.dirty = True
    ctx.sim.emit("refund.updated", refund, prev)
    ctx.sim.emit("charge.refund.updated", refund, prev)
    return refund


def cancel(ctx, params, id):
    refund = fetch(ctx, id, "refund", "refund")
    raise StripeError(400, f"Refund {refund['id']} cannot be canceled because it has a status of "
                           f"{refund['status']}. Only refunds with a status of requires_action can be canceled.",
                      code="refund_unexpected_state")


def list_(ctx, params):
    pi = get_str(params, "payment_intent")
    charge = get_str(params, "charge")
    if pi:
        key = ("refund", "payment_intent", pi)
    elif charge:
        key = ("refund", "charge", charge)
    else:
        key = ("refund",)
    return list_page(ctx, params, "/v1/refunds", key, {"payment_intent": None, "charge": None})


def list_for_charge(ctx, params, charge):
    fetch(ctx, charge, "charge", "charge")
    return list_page(ctx, params, f"/v1/charges/{charge}/refunds", ("refund", "charge", charge))


def routes(r):
    r.add("POST", "/v1/refunds", create)
    r.add("GET", "/v1/refunds", list_)
    r.add("GET", "/v1/refunds/{id}", retrieve)
    r.add("POST", "/v1/refunds/{id}", update)
    r.add("POST", "/v1/refunds/{id}/cancel", cancel)
    r.add("GET", "/v1/charges/{id}/refunds", list_for_charge)
