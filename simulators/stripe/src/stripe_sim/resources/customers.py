"""Customers."""

from __future__ import annotations

from .. import errors
from ..ids import new_id
from ..params import ANY, check_unknown, get_dict, get_str, metadata
from .common import fetch, list_page

ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}
SCHEMA = {
    "email": None, "name": None, "description": None, "phone": None, "metadata": ANY,
    "payment_method": None, "address": ADDRESS, "shipping": ANY, "preferred_locales": ANY,
    "invoice_settings": {"default_payment_method": None, "custom_fields": ANY, "footer": None,
                         "rendering_options": ANY},
    "tax_exempt": None, "balance": None, "source": None, "test_clock": None,
}


def _address(value: dict | None) -> dict | None:
    if not value:
        return None
    return {k: value.get(k) for k in ADDRESS}


def create(ctx, params):
    check_unknown(params, SCHEMA)
    sim = ctx.sim
    cus = {
        "id": new_id("cus", 14),
        "object": "customer",
        "address": _address(get_dict(params, "address")),
        "balance": 0,
        "created": sim.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": get_str(params, "description"),
        "discount": None,
        "email": get_str(params, "email"),
        "invoice_prefix": new_id("x", 7)[2:].upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False,
        "metadata": metadata(params),
        "name": get_str(params, "name"),
        "next_invoice_sequence": 1,
        "phone": get_str(params, "phone"),
        "preferred_locales": params.get("preferred_locales") or [],
        "shipping": params.get("shipping") or None,
        "tax_exempt": get_str(params, "tax_exempt", choices=("none", "exempt", "reverse")) or "none",
        "test_clock": None,
    }
    ctx.store.add(cus)
    pm = get_str(params, "payment_method")
    if pm:
        from .payment_methods import attach_to

        attach_to(ctx, pm, cus["id"])
    sim.emit("customer.created", cus)
    return cus


def retrieve(ctx, params, id):
    check_unknown(params, {})
    obj = ctx.store.objects.get(id)
    if obj is not None and obj.get("object") == "customer" and obj.get("deleted"):
        return {"id": id, "object": "customer", "deleted": True}
    return fetch(ctx, id, "customer", "customer")


def update(ctx, params, id):
    check_unknown(params, SCHEMA)
    cus = fetch(ctx, id, "customer", "customer")
    prev = {}
    for field in ("email", "name", "description", "phone", "tax_exempt"):
        if field in params:
            prev[field] = cus[field]
            cus[field] = get_str(params, field) or None
    if "address" in params:
        prev["address"] = cus["address"]
        cus["address"] = _address(get_dict(params, "address"))
    if "shipping" in params:
        prev["shipping"] = cus["shipping"]
        cus["shipping"] = params["shipping"] or None
    if "metadata" in params:
        prev["metadata"] = cus["metadata"]
        cus["metadata"] = metadata(params, cus["metadata"])
    inv = get_dict(params, "invoice_settings")
    if inv and "default_payment_method" in inv:
        pm_id = inv["default_payment_method"] or None
        if pm_id:
            pm = fetch(ctx, pm_id, "payment_method", "PaymentMethod", "invoice_settings[default_payment_method]")
            if pm.get("customer") != id:
                raise errors.invalid("invoice_settings[default_payment_method]",
                                     f"The customer does not have a payment method with the ID {pm_id}. "
                                     "The payment method must be attached to the customer.", code="resource_missing")
        prev["invoice_settings"] = dict(cus["invoice_settings"])
        cus["invoice_settings"] = {**cus["invoice_settings"], "default_payment_method": pm_id}
    ctx.store.dirty = True
    ctx.sim.emit("customer.updated", cus, prev)
    return cus


def delete(ctx, params, id):
    cus = fetch(ctx, id, "customer", "customer")
    cus["deleted"] = True
    ctx.store.dirty = True
    ctx.sim.emit("customer.deleted", cus)
    return {"id": id, "object": "customer", "deleted": True}


def list_(ctx, params):
    email = get_str(params, "email")
    pred = None
    if email:
        pred = lambda c: c.get("email") == email  # noqa: E731
    return list_page(ctx, params, "/v1/customers", ("customer",), {"email": None, "test_clock": None},
                     lambda c: not c.get("deleted") and (pred is None or pred(c)))


def routes(r):
    r.add("POST", "/v1/customers", create)
    r.add("GET", "/v1/customers", list_)
    r.add("GET", "/v1/customers/{id}", retrieve)
    r.add("POST", "/v1/customers/{id}", update)
    r.add("DELETE", "/v1/customers/{id}", delete)
