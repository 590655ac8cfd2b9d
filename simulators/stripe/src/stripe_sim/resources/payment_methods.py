"""PaymentMethods (cards only), built from test card numbers or Stripe's `pm_card_…` tokens."""

from __future__ import annotations

from .. import cards, errors
from ..ids import new_id
from ..params import ANY, check_unknown, get_dict, get_int, get_str, metadata
from .common import fetch, list_page

BILLING = {"address": ANY, "email": None, "name": None, "phone": None, "tax_id": None}
CARD = {"number": None, "exp_month": None, "exp_year": None, "cvc": None, "token": None, "networks": ANY}
SCHEMA = {"type": None, "card": CARD, "billing_details": BILLING, "metadata": ANY, "allow_redisplay": None,
          "customer": None, "payment_method": None}


def _billing(value: dict | None) -> dict:
    value = value or {}
    addr = value.get("address") if isinstance(value.get("address"), dict) else {}
    return {
        "address": {k: addr.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
        "email": value.get("email"),
        "name": value.get("name"),
        "phone": value.get("phone"),
        "tax_id": None,
    }


def from_number(ctx, number: str, exp_month: int = 12, exp_year: int = 2034, billing: dict | None = None,
                meta: dict | None = None) -> dict:
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": _billing(billing),
        "card": cards.card_details(number, exp_month, exp_year),
        "created": ctx.sim.now(),
        "customer": None,
        "livemode": False,
        "metadata": meta or {},
        "type": "card",
    }
    ctx.store.private[pm["id"]] = {"number": number}
    ctx.store.add(pm)
    return pm


def from_card_params(ctx, card: dict | None, billing=None, meta=None, prefix: str = "card") -> dict:
    if not card:
        raise errors.missing(prefix)
    token = card.get("token")
    if token:
        number = cards.TOKENS.get(token)
        if number is None:
            raise errors.not_found("token", token, f"{prefix}[token]")
        return from_number(ctx, number, billing=billing, meta=meta)
    raw = get_str(card, "number", required=True, param=f"{prefix}[number]")
    number = cards.check_number(raw, f"{prefix}[number]")
    exp_month = get_int(card, "exp_month", required=True, param=f"{prefix}[exp_month]")
    exp_year = get_int(card, "exp_year", required=True, param=f"{prefix}[exp_year]")
    if not 1 <= exp_month <= 12:
        raise errors.StripeError(402, "Your card's expiration month is invalid.", type="card_error",
                                 code="invalid_expiry_month", param=f"{prefix}[exp_month]")
    if exp_year < 100:
        exp_year += 2000
    if exp_year < 2000 or exp_year > 2100:
        raise errors.StripeError(402, "Your card's expiration year is invalid.", type="card_error",
                                 code="invalid_expiry_year", param=f"{prefix}[exp_year]")
    return from_number(ctx, number, exp_month, exp_year, billing, meta)


def resolve(ctx, value: str, param: str = "payment_method") -> dict:
    """A PaymentMethod id, or a test token which (like on Stripe) mints a fresh PaymentMethod."""
    number = cards.TOKENS.get(value)
    if number is not None:
        return from_number(ctx, number)
    return fetch(ctx, value, "payment_method", "PaymentMethod", param)


def from_data(ctx, data: dict, param: str = "payment_method_data") -> dict:
    check_unknown(data, {"type": None, "card": CARD, "billing_details": BILLING, "metadata": ANY,
                         "allow_redisplay": None}, param)
    kind = get_str(data, "type", required=True, param=f"{param}[type]")
    if kind != "card":
        raise errors.invalid(f"{param}[type]", f"The payment method type {kind!r} is not supported by this simulator.")
    return from_card_params(ctx, get_dict(data, "card"), get_dict(data, "billing_details"),
                            metadata(data), f"{param}[card]")


def number_of(ctx, pm_id: str) -> str:
    return ctx.store.private.get(pm_id, {}).get("number", "4242424242424242")


def create(ctx, params):
    check_unknown(params, SCHEMA)
    kind = get_str(params, "type", required=True)
    if kind != "card":
        raise errors.invalid("type", f"The payment method type {kind!r} is not supported by this simulator.")
    return from_card_params(ctx, get_dict(params, "card"), get_dict(params, "billing_details"), metadata(params))


def retrieve(ctx, params, id):
    check_unknown(params, {})
    return resolve(ctx, id, "id")


def update(ctx, params, id):
    check_unknown(params, {"billing_details": BILLING, "metadata": ANY, "card": {"exp_month": None, "exp_year": None},
                           "allow_redisplay": None})
    pm = fetch(ctx, id, "payment_method", "PaymentMethod")
    if "metadata" in params:
        pm["metadata"] = metadata(params, pm["metadata"])
    if "billing_details" in params:
        pm["billing_details"] = _billing(get_dict(params, "billing_details"))
    card = get_dict(params, "card")
    if card:
        if "exp_month" in card:
            pm["card"]["exp_month"] = get_int(card, "exp_month", param="card[exp_month]")
        if "exp_year" in card:
            pm["card"]["exp_year"] = get_int(card, "exp_year", param="card[exp_year]")
    ctx.store.dirty = True
    ctx.sim.emit("payment_method.updated", pm)
    return pm


def attach_to(ctx, pm_id: str, customer_id: str, param: str = "payment_method") -> dict:
    pm = resolve(ctx, pm_id, param)
    if pm.get("customer") and pm["customer"] != customer_id:
        raise errors.invalid(param, "This PaymentMethod was previously attached to a different Customer.",
                             code="payment_method_unexpected_state")
    number = number_of(ctx, pm["id"])
    decline = cards.DECLINED.get(number)
    if decline is not None:
        # Stripe validates a card when it is saved: these test cards fail right there.
        raise cards.decline_error(decline)
    pm["customer"] = customer_id
    ctx.store.index(("payment_method", "customer", customer_id)).add(pm["id"], pm["created"])
    ctx.store.dirty = True
    ctx.sim.emit("payment_method.attached", pm)
    return pm


def attach(ctx, params, id):
    check_unknown(params, {"customer": None})
    customer = get_str(params, "customer", required=True)
    fetch(ctx, customer, "customer", "customer", "customer")
    return attach_to(ctx, id, customer, "id")


def detach(ctx, params, id):
    check_unknown(params, {})
    pm = fetch(ctx, id, "payment_method", "PaymentMethod")
    if not pm.get("customer"):
        raise errors.invalid("payment_method", "The payment method you provided is not attached to a customer so detachment is impossible.",
                             code="payment_method_unexpected_state")
    pm["customer"] = None
    ctx.store.dirty = True
    ctx.sim.emit("payment_method.detached", pm)
    return pm


def list_(ctx, params):
    customer = get_str(params, "customer")
    kind = get_str(params, "type")
    if customer:
        key = ("payment_method", "customer", customer)
        pred = lambda p: p.get("customer") == customer and (kind is None or p["type"] == kind)  # noqa: E731
    else:
        key = ("payment_method",)
        pred = (lambda p: p["type"] == kind) if kind else None
    return list_page(ctx, params, "/v1/payment_methods", key, {"customer": None, "type": None}, pred)


def list_for_customer(ctx, params, customer):
    fetch(ctx, customer, "customer", "customer", "customer")
    kind = get_str(params, "type")
    return list_page(ctx, params, f"/v1/customers/{customer}/payment_methods",
                     ("payment_method", "customer", customer), {"type": None, "allow_redisplay": None},
                     lambda p: p.get("customer") == customer and (kind is None or p["type"] == kind))


def routes(r):
    r.add("POST", "/v1/payment_methods", create, publishable=True)
    r.add("GET", "/v1/payment_methods", list_)
    r.add("GET", "/v1/payment_methods/{id}", retrieve)
    r.add("POST", "/v1/payment_methods/{id}", update)
    r.add("POST", "/v1/payment_methods/{id}/attach", attach)
    r.add("POST", "/v1/payment_methods/{id}/detach", detach)
    r.add("GET", "/v1/customers/{id}/payment_methods", list_for_customer)
