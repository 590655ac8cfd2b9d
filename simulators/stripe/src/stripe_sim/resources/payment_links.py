"""Payment Links: a reusable URL that opens a fresh Checkout Session each visit."""

from __future__ import annotations

from .. import errors
from ..ids import new_id
from ..params import ANY, check_unknown, get_bool, get_dict, get_int, get_list, get_str, metadata
from . import checkout
from .common import fetch, list_page

AFTER = {"type": None, "redirect": {"url": None}, "hosted_confirmation": {"custom_message": None}}
SCHEMA = {
    "line_items": {"price": None, "quantity": None, "adjustable_quantity": ANY},
    "metadata": ANY, "after_completion": AFTER, "restrictions": {"completed_sessions": {"limit": None}},
    "active": None, "payment_intent_data": {"metadata": ANY, "description": None, "capture_method": None,
                                            "transfer_group": None, "statement_descriptor": None,
                                            "statement_descriptor_suffix": None, "setup_future_usage": None},
    "transfer_data": {"destination": None, "amount": None}, "application_fee_amount": None, "on_behalf_of": None,
    "customer_creation": None, "allow_promotion_codes": None, "billing_address_collection": None, "currency": None,
    "payment_method_types": ANY, "submit_type": None, "phone_number_collection": ANY, "custom_text": ANY,
    "automatic_tax": ANY, "invoice_creation": ANY, "shipping_address_collection": ANY,
}


def _after_completion(params: dict) -> dict:
    ac = get_dict(params, "after_completion")
    if not ac:
        return {"hosted_confirmation": {"custom_message": None}, "type": "hosted_confirmation"}
    kind = get_str(ac, "type", required=True, choices=("redirect", "hosted_confirmation"),
                   param="after_completion[type]")
    if kind == "redirect":
        redirect = get_dict(ac, "redirect") or {}
        url = get_str(redirect, "url", required=True, param="after_completion[redirect][url]")
        return {"redirect": {"url": url}, "type": "redirect"}
    hc = get_dict(ac, "hosted_confirmation") or {}
    return {"hosted_confirmation": {"custom_message": hc.get("custom_message")}, "type": "hosted_confirmation"}


def _restrictions(params: dict, current=None):
    r = get_dict(params, "restrictions")
    if r is None:
        return current
    cs = get_dict(r, "completed_sessions") or {}
    limit = get_int(cs, "limit", required=True, minimum=1, param="restrictions[completed_sessions][limit]")
    return {"completed_sessions": {"count": (current or {}).get("completed_sessions", {}).get("count", 0),
                                   "limit": limit}}


def create(ctx, params):
    check_unknown(params, SCHEMA)
    raw_items = get_list(params, "line_items")
    if not raw_items:
        raise errors.missing("line_items")
    items = []
    for i, item in enumerate(raw_items):
        price = fetch(ctx, get_str(item, "price", required=True, param=f"line_items[{i}][price]"), "price", "price",
                      f"line_items[{i}][price]")
        items.append({"price": price["id"], "quantity": get_int(item, "quantity", minimum=1,
                                                                param=f"line_items[{i}][quantity]") or 1})
    td = get_dict(params, "transfer_data")
    if td:
        from .payment_intents import _check_destination

        _check_destination(ctx, get_str(td, "destination", required=True, param="transfer_data[destination]"),
                           "transfer_data[destination]")
    id = new_id("plink")
    currency = ctx.store.objects[items[0]["price"]]["currency"]
    link = {
        "id": id,
        "object": "payment_link",
        "active": get_bool(params, "active", True),
        "after_completion": _after_completion(params),
        "allow_promotion_codes": bool(get_bool(params, "allow_promotion_codes", False)),
        "application_fee_amount": get_int(params, "application_fee_amount", minimum=0),
        "billing_address_collection": get_str(params, "billing_address_collection") or "auto",
        "currency": currency,
        "customer_creation": get_str(params, "customer_creation") or "if_required",
        "livemode": False,
        "metadata": metadata(params),
        "on_behalf_of": get_str(params, "on_behalf_of"),
        "payment_intent_data": get_dict(params, "payment_intent_data"),
        "payment_method_types": get_list(params, "payment_method_types"),
        "restrictions": _restrictions(params),
        "submit_type": get_str(params, "submit_type") or "auto",
        "transfer_data": {"amount": get_int(td, "amount"), "destination": td["destination"]} if td else None,
        "url": f"{ctx.sim.base_url}/b/{id}",
    }
    ctx.store.private[id] = {"line_items": items}
    ctx.store.add(link)
    ctx.sim.emit("payment_link.created", link)
    return link


def retrieve(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "payment_link", "payment link")


def update(ctx, params, id):
    check_unknown(params, {"active": None, "metadata": ANY, "after_completion": AFTER,
                           "restrictions": ANY, "payment_intent_data": ANY, "allow_promotion_codes": None})
    link = fetch(ctx, id, "payment_link", "payment link")
    if "active" in params:
        link["active"] = get_bool(params, "active")
    if "metadata" in params:
        link["metadata"] = metadata(params, link["metadata"])
    if "after_completion" in params:
        link["after_completion"] = _after_completion(params)
    if "restrictions" in params:
        link["restrictions"] = None if params["restrictions"] == "" else _restrictions(params, link["restrictions"])
    ctx.store.dirty = True
    ctx.sim.emit("payment_link.updated", link)
    return link


def line_items(ctx, params, id):
    fetch(ctx, id, "payment_link", "payment link")
    data = []
    for item in ctx.store.private[id]["line_items"]:
        price = ctx.store.objects[item["price"]]
        product = ctx.store.objects.get(price["product"]) or {}
        amount = price["unit_amount"] * item["quantity"]
        data.append({"id": new_id("li"), "object": "item", "amount_discount": 0, "amount_subtotal": amount,
                     "amount_tax": 0, "amount_total": amount, "currency": price["currency"],
                     "description": product.get("name"), "price": price, "quantity": item["quantity"]})
    return {"object": "list", "data": data, "has_more": False, "url": f"/v1/payment_links/{id}/line_items"}


def list_(ctx, params):
    active = get_bool(params, "active")
    pred = (lambda link: link["active"] == active) if active is not None else None
    return list_page(ctx, params, "/v1/payment_links", ("payment_link",), {"active": None}, pred)


def session_completed(ctx, link_id: str) -> None:
    link = ctx.store.objects.get(link_id)
    if link is None or not link["restrictions"]:
        return
    cs = link["restrictions"]["completed_sessions"]
    cs["count"] += 1
    if cs["count"] >= cs["limit"] and link["active"]:
        # Stripe deactivates a link once its completed-sessions limit is reached.
        link["active"] = False
        ctx.sim.emit("payment_link.updated", link, {"active": True})
    ctx.store.dirty = True


def confirmation_url(ctx, session: dict) -> str:
    return f"{ctx.sim.base_url}/b/{session['payment_link']}/done?session_id={session['id']}"


def open_link(ctx, form, id):
    from .. import pages
    from ..app import redirect

    link = ctx.store.objects.get(id)
    if link is None or link.get("object") != "payment_link":
        return pages.error_page("This payment link does not exist.", 404)
    if not link["active"]:
        return pages.layout("Unavailable", "<h1 id='inactive'>This link is no longer available</h1>", 410)
    ac = link["after_completion"]
    success_url = ac["redirect"]["url"] if ac["type"] == "redirect" else None
    pid = dict(link.get("payment_intent_data") or {})
    if link["transfer_data"]:
        pid["transfer_data"] = {k: v for k, v in link["transfer_data"].items() if v is not None}
    if link["application_fee_amount"] is not None:
        pid["application_fee_amount"] = link["application_fee_amount"]
    if link["on_behalf_of"]:
        pid["on_behalf_of"] = link["on_behalf_of"]
    params = {"mode": "payment", "line_items": [dict(i) for i in ctx.store.private[id]["line_items"]],
              "metadata": dict(link["metadata"]), "payment_intent_data": pid}
    if success_url:
        params["success_url"] = success_url
    session = checkout.new_session(ctx, params, payment_link=id)
    return redirect(session["url"])


def confirmation(ctx, form, id):
    from .. import pages

    link = ctx.store.objects.get(id)
    msg = ((link or {}).get("after_completion") or {}).get("hosted_confirmation", {}) or {}
    return pages.layout("Thanks", f"<h1 id='paid'>Thanks for your payment</h1>"
                                  f"<p>{pages.esc(msg.get('custom_message') or '')}</p>")


def routes(r):
    r.add("POST", "/v1/payment_links", create)
    r.add("GET", "/v1/payment_links", list_)
    r.add("GET", "/v1/payment_links/{id}", retrieve)
    r.add("POST", "/v1/payment_links/{id}", update)
    r.add("GET", "/v1/payment_links/{id}/line_items", line_items)
    r.add("GET", "/b/{id}", open_link, page=True)
    r.add("GET", "/b/{id}/done", confirmation, page=True)
