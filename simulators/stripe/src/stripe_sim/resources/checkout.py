"""Checkout Sessions (mode=payment) and their hosted payment page."""

from __future__ import annotations

import heapq

from .. import errors
from ..errors import StripeError
from ..ids import new_id, token
from ..params import ANY, check_unknown, get_dict, get_int, get_list, get_str, metadata
from . import payment_intents, payment_methods, products
from .common import fetch, list_page

LINE_ITEM = {"price": None, "quantity": None, "price_data": {
    "currency": None, "unit_amount": None, "product": None, "product_data": products.PRODUCT_DATA,
    "tax_behavior": None, "recurring": ANY, "unit_amount_decimal": None}, "adjustable_quantity": ANY,
    "tax_rates": ANY, "dynamic_tax_rates": ANY}
PI_DATA = {"metadata": ANY, "description": None, "capture_method": None, "transfer_data": {"destination": None,
           "amount": None}, "application_fee_amount": None, "transfer_group": None, "on_behalf_of": None,
           "receipt_email": None, "setup_future_usage": None, "statement_descriptor": None,
           "statement_descriptor_suffix": None, "shipping": ANY}
SCHEMA = {
    "mode": None, "line_items": LINE_ITEM, "success_url": None, "cancel_url": None, "expires_at": None,
    "metadata": ANY, "client_reference_id": None, "customer": None, "customer_email": None,
    "payment_intent_data": PI_DATA, "payment_method_types": ANY, "locale": None, "allow_promotion_codes": None,
    "billing_address_collection": None, "submit_type": None, "customer_creation": None, "automatic_tax": ANY,
    "phone_number_collection": ANY, "custom_text": ANY, "ui_mode": None, "currency": None, "return_url": None,
    "payment_method_options": ANY, "shipping_address_collection": ANY, "consent_collection": ANY,
    "invoice_creation": ANY, "saved_payment_method_options": ANY, "payment_method_collection": None,
}
MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 3600


def _line_items(ctx, raw: list, prefix: str = "line_items") -> list:
    if not raw:
        raise errors.missing(prefix)
    items = []
    for i, item in enumerate(raw):
        p = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            raise errors.invalid(p, "Invalid object")
        quantity = get_int(item, "quantity", param=f"{p}[quantity]", minimum=1)
        if quantity is None:
            quantity = 1
        if item.get("price"):
            price = fetch(ctx, get_str(item, "price"), "price", "price", f"{p}[price]")
            if not price["active"]:
                raise errors.invalid(f"{p}[price]", f"The price `{price['id']}` is not active.")
        elif item.get("price_data"):
            price = products.new_price(ctx, get_dict(item, "price_data"), f"{p}[price_data]")
        else:
            raise errors.missing(f"{p}[price]", f"You must specify either `{p}[price]` or `{p}[price_data]`.")
        if price["type"] != "one_time":
            raise errors.invalid(f"{p}[price]", "You must provide at least one recurring price in `subscription` "
                                                "mode when using prices.")
        product = ctx.store.objects.get(price["product"]) or {}
        amount = price["unit_amount"] * quantity
        items.append({
            "id": new_id("li"),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": price["currency"],
            "description": product.get("name"),
            "price": price,
            "quantity": quantity,
        })
    currencies = {i["currency"] for i in items}
    if len(currencies) > 1:
        raise errors.invalid(prefix, "All line items must use the same currency.")
    return items


def new_session(ctx, params: dict, payment_link: str | None = None) -> dict:
    sim = ctx.sim
    mode = get_str(params, "mode", required=True, choices=("payment", "setup", "subscription"))
    if mode != "payment":
        raise errors.invalid("mode", f"This simulator supports Checkout only in payment mode, not {mode}.")
    items = _line_items(ctx, get_list(params, "line_items"))
    currency = items[0]["currency"]
    total = sum(i["amount_total"] for i in items)
    from ..currencies import check_charge_amount

    check_charge_amount(total, currency, "line_items")
    now = sim.now()
    expires_at = get_int(params, "expires_at")
    if expires_at is None:
        expires_at = now + MAX_LIFETIME
    elif not now + MIN_LIFETIME - 5 <= expires_at <= now + MAX_LIFETIME + 5:
        raise errors.invalid("expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                                           "from Checkout Session creation.")
    customer = get_str(params, "customer")
    if customer:
        fetch(ctx, customer, "customer", "customer", "customer")
    pid = get_dict(params, "payment_intent_data") or {}
    if pid:
        check_unknown(pid, PI_DATA, "payment_intent_data")
        td = get_dict(pid, "transfer_data")
        if td:
            payment_intents._check_destination(ctx, get_str(td, "destination", required=True,
                                                            param="payment_intent_data[transfer_data][destination]"),
                                               "payment_intent_data[transfer_data][destination]")
    id = "cs_test_" + token(58)
    session = {
        "id": id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": get_str(params, "billing_address_collection"),
        "cancel_url": get_str(params, "cancel_url"),
        "client_reference_id": get_str(params, "client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": customer,
        "customer_creation": get_str(params, "customer_creation") or ("if_required" if not customer else None),
        "customer_details": None,
        "customer_email": get_str(params, "customer_email"),
        "expires_at": expires_at,
        "invoice": None,
        "livemode": False,
        "locale": get_str(params, "locale"),
        "metadata": metadata(params),
        "mode": mode,
        "payment_intent": None,
        "payment_link": payment_link,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": [str(t) for t in get_list(params, "payment_method_types") or ["card"]],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "return_url": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": get_str(params, "submit_type"),
        "subscription": None,
        "success_url": get_str(params, "success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{sim.base_url}/checkout/{id}",
    }
    ctx.store.private[id] = {"line_items": items, "payment_intent_data": pid}
    extra = [("checkout.session", "payment_link", payment_link)] if payment_link else []
    ctx.store.add(session, *extra)
    heapq.heappush(sim.expiry_heap, (expires_at, id))
    return session


def create(ctx, params):
    check_unknown(params, SCHEMA)
    return new_session(ctx, params)


def _with_line_items(ctx, session: dict, params: dict) -> dict:
    expand = get_list(params, "expand") or []
    if "line_items" in expand:
        items = ctx.store.private.get(session["id"], {}).get("line_items", [])
        session = {**session, "line_items": {"object": "list", "data": items, "has_more": False,
                                             "url": f"/v1/checkout/sessions/{session['id']}/line_items"}}
    return session


def retrieve(ctx, params, id):
    check_unknown(params, {})
    session = fetch(ctx, id, "checkout.session", "checkout.session")
    _expire_if_due(ctx.sim, session)
    return _with_line_items(ctx, session, params)


def update(ctx, params, id):
    check_unknown(params, {"metadata": ANY})
    session = fetch(ctx, id, "checkout.session", "checkout.session")
    session["metadata"] = metadata(params, session["metadata"])
    ctx.store.dirty = True
    return session


def line_items(ctx, params, id):
    fetch(ctx, id, "checkout.session", "checkout.session")
    check_unknown(params, {"limit": None, "starting_after": None, "ending_before": None})
    items = ctx.store.private.get(id, {}).get("line_items", [])
    return {"object": "list", "data": items, "has_more": False, "url": f"/v1/checkout/sessions/{id}/line_items"}


def list_(ctx, params):
    pi = get_str(params, "payment_intent")
    link = get_str(params, "payment_link")
    status = get_str(params, "status")
    key = ("checkout.session", "payment_link", link) if link else ("checkout.session",)

    def pred(s):
        return (pi is None or s["payment_intent"] == pi) and (status is None or s["status"] == status)

    return list_page(ctx, params, "/v1/checkout/sessions", key,
                     {"payment_intent": None, "payment_link": None, "status": None, "customer": None,
                      "customer_details": ANY, "subscription": None}, pred)


def expire_session(sim, session: dict) -> None:
    if session["status"] != "open":
        return
    session["status"] = "expired"
    session["url"] = None
    pi_id = session.get("payment_intent")
    if pi_id:
        pi = sim.store.objects.get(pi_id)
        if pi and pi["status"] in ("requires_payment_method", "requires_confirmation", "requires_action"):
            pi["status"] = "canceled"
            pi["canceled_at"] = sim.now()
            pi["cancellation_reason"] = "abandoned"
            sim.emit("payment_intent.canceled", pi)
    sim.store.dirty = True
    sim.emit("checkout.session.expired", session)


def _expire_if_due(sim, session: dict) -> None:
    if session["status"] == "open" and session["expires_at"] <= sim.now():
        expire_session(sim, session)


def expire_due(sim) -> None:
    """Called every second by the app: expire sessions whose expires_at has passed."""
    heap = sim.expiry_heap
    now = sim.now()
    while heap and heap[0][0] <= now:
        _, id = heapq.heappop(heap)
        session = sim.store.objects.get(id)
        if session is not None:
            expire_session(sim, session)


def expire(ctx, params, id):
    check_unknown(params, {})
    session = fetch(ctx, id, "checkout.session", "checkout.session")
    if session["status"] != "open":
        raise errors.invalid("session", f"Only Checkout Sessions with a status in [\"open\"] can be expired. This "
                                        f"Checkout Session has a status of \"{session['status']}\".",
                             code="checkout_session_unexpected_state")
    expire_session(ctx.sim, session)
    return session


def pay(ctx, session: dict, pm: dict, email: str | None = None, name: str | None = None) -> dict:
    """Pay an open session with a PaymentMethod, as the hosted page does; returns the PaymentIntent.

    Raises the card error when declined (the session stays open for another try)."""
    _expire_if_due(ctx.sim, session)
    if session["status"] != "open":
        raise StripeError(400, f"This Checkout Session is {session['status']} and can no longer be paid.",
                          code="checkout_session_unexpected_state")
    priv = ctx.store.private[session["id"]]
    priv["email"] = email or session["customer_email"]
    priv["name"] = name
    pi = ctx.store.objects.get(session["payment_intent"]) if session["payment_intent"] else None
    return_url = f"{ctx.sim.base_url}/checkout/{session['id']}/return"
    if pi is None or pi["status"] not in payment_intents.CONFIRMABLE:
        pid = priv["payment_intent_data"]
        params = {"amount": session["amount_total"], "currency": session["currency"],
                  "metadata": pid.get("metadata") or {}, "payment_method": pm["id"], "confirm": "true",
                  "return_url": return_url}
        for field in ("description", "capture_method", "transfer_data", "application_fee_amount", "transfer_group",
                      "on_behalf_of", "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix",
                      "shipping"):
            if pid.get(field) not in (None, ""):
                params[field] = pid[field]
        if pid.get("receipt_email") or priv["email"]:
            params["receipt_email"] = pid.get("receipt_email") or priv["email"]
        if session["customer"]:
            params["customer"] = session["customer"]
        # The PaymentIntent exists from the first attempt on, whatever that attempt's outcome.
        try:
            pi = payment_intents.create(ctx, params)
        except StripeError as e:
            pi_obj = (e.extra or {}).get("payment_intent")
            if pi_obj:
                _link_pi(ctx, session, pi_obj)
            raise
    else:
        payment_intents._confirm(ctx, pi, {"payment_method": pm["id"], "return_url": return_url})
    _link_pi(ctx, session, pi)
    if pi["status"] == "requires_action":
        ctx.store.private.setdefault(pi["id"], {})["after_authentication"] = session["id"]
    elif pi["status"] in ("succeeded", "requires_capture", "processing"):
        complete(ctx, session, pi)
    return pi


def _link_pi(ctx, session: dict, pi: dict) -> None:
    if session["payment_intent"] != pi["id"]:
        session["payment_intent"] = pi["id"]
        ctx.store.dirty = True


def complete(ctx, session: dict, pi: dict) -> None:
    priv = ctx.store.private[session["id"]]
    pm = ctx.store.objects.get(pi["payment_method"]) or {}
    billing = pm.get("billing_details") or {}
    session["status"] = "complete"
    session["payment_status"] = "paid" if pi["status"] == "succeeded" else "unpaid"
    session["payment_intent"] = pi["id"]
    session["customer_details"] = {
        "address": billing.get("address"), "email": priv.get("email") or session["customer_email"],
        "name": priv.get("name") or billing.get("name"), "phone": None, "tax_exempt": "none", "tax_ids": [],
    }
    session["url"] = None
    ctx.store.dirty = True
    ctx.sim.emit("checkout.session.completed", session)
    if session["payment_link"]:
        from .payment_links import session_completed

        session_completed(ctx, session["payment_link"])


def success_redirect(session: dict) -> str | None:
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def after_authentication(ctx, pi: dict, session_id: str):
    from .. import pages

    session = ctx.store.objects[session_id]
    if pi["status"] in ("succeeded", "requires_capture", "processing"):
        if session["status"] == "open":
            complete(ctx, session, pi)
        return _done(ctx, session)
    return checkout_page(ctx, {}, session_id, error=(pi.get("last_payment_error") or {}).get("message")
                         or "Authentication failed.")


def _done(ctx, session):
    from ..app import redirect
    from .. import pages

    target = success_redirect(session)
    if target is None and session.get("payment_link"):
        from .payment_links import confirmation_url

        target = confirmation_url(ctx, session)
    if target:
        return redirect(target)
    return pages.layout("Payment complete", f"<h1 id='paid'>Payment complete</h1><p>{pages.esc(session['id'])}</p>")


# --- test helpers -------------------------------------------------------------------------------

def helper_complete(ctx, params, id):
    check_unknown(params, {"card_number": None, "payment_method": None, "email": None, "name": None})
    session = fetch(ctx, id, "checkout.session", "checkout.session")
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, get_str(params, "payment_method"))
    else:
        number = get_str(params, "card_number") or "4242424242424242"
        pm = payment_methods.from_card_params(ctx, {"number": number, "exp_month": "12", "exp_year": "2034"},
                                              {"email": get_str(params, "email"), "name": get_str(params, "name")},
                                              prefix="card")
    pay(ctx, session, pm, get_str(params, "email"), get_str(params, "name"))
    return session


def helper_expire(ctx, params, id):
    return expire(ctx, params, id)


# --- hosted page --------------------------------------------------------------------------------

def checkout_page(ctx, form, id, error: str | None = None):
    from .. import pages
    from ..currencies import format_amount

    session = ctx.store.objects.get(id)
    if session is None or session.get("object") != "checkout.session":
        return pages.error_page("This Checkout Session does not exist.", 404)
    _expire_if_due(ctx.sim, session)
    if session["status"] == "expired":
        return pages.layout("Expired", "<h1 id='expired'>This Checkout Session has expired</h1>", 410)
    if session["status"] == "complete":
        # No redirect here: a success_url may point back at this very page.
        return pages.layout("Payment complete", f"<h1 id='paid'>Payment complete</h1>"
                                                f"<p>{pages.esc(session['id'])}</p>")
    items = ctx.store.private[id]["line_items"]
    rows = "".join(
        f"<tr><td>{pages.esc(i['description'])} × {i['quantity']}</td>"
        f"<td class='r'>{pages.esc(format_amount(i['amount_total'], i['currency']))}</td></tr>" for i in items)
    total = format_amount(session["amount_total"], session["currency"])
    err = f"<p class='error' id='error'>{pages.esc(error)}</p>" if error else ""
    cancel = (f"<p><a id='cancel' href='{pages.esc(session['cancel_url'])}'>Cancel and go back</a></p>"
              if session["cancel_url"] else "")
    email = session["customer_email"] or ""
    return pages.layout("Checkout", f"""
<h1>Pay {pages.esc(total)}</h1>
<div class='box'><table>{rows}<tr><td><b>Total</b></td><td class='r' id='total'><b>{pages.esc(total)}</b></td></tr></table></div>
{err}
<form method='post' class='box' id='payment-form'>
<label for='email'>Email</label><input id='email' name='email' type='email' value='{pages.esc(email)}'>
<label for='cardNumber'>Card number</label><input id='cardNumber' name='cardNumber' inputmode='numeric' placeholder='4242 4242 4242 4242' autocomplete='cc-number'>
<label for='cardExpiry'>Expiry (MM / YY)</label><input id='cardExpiry' name='cardExpiry' placeholder='12 / 34'>
<label for='cardCvc'>CVC</label><input id='cardCvc' name='cardCvc' placeholder='123'>
<label for='billingName'>Name on card</label><input id='billingName' name='billingName'>
<button id='submit' type='submit'>Pay {pages.esc(total)}</button>
</form>{cancel}""", 402 if error else 200)


def checkout_submit(ctx, form, id):
    from ..app import redirect

    session = ctx.store.objects.get(id)
    if session is None or session.get("object") != "checkout.session":
        from .. import pages

        return pages.error_page("This Checkout Session does not exist.", 404)
    number = (form.get("cardNumber") or "").replace(" ", "")
    expiry = (form.get("cardExpiry") or "12 / 34").replace(" ", "")
    month, _, year = expiry.partition("/")
    try:
        pm = payment_methods.from_card_params(
            ctx, {"number": number, "exp_month": month or "12", "exp_year": year or "34", "cvc": form.get("cardCvc")},
            {"email": form.get("email"), "name": form.get("billingName")}, prefix="card")
        pi = pay(ctx, session, pm, form.get("email") or None, form.get("billingName") or None)
    except StripeError as e:
        return checkout_page(ctx, form, id, error=e.message)
    if pi["status"] == "requires_action":
        return redirect(f"{ctx.sim.base_url}/3ds/{pi['id']}")
    return _done(ctx, session)


def checkout_return(ctx, form, id):
    session = ctx.store.objects.get(id)
    if session is None:
        from .. import pages

        return pages.error_page("This Checkout Session does not exist.", 404)
    return checkout_page(ctx, form, id)


def routes(r):
    r.add("POST", "/v1/checkout/sessions", create)
    r.add("GET", "/v1/checkout/sessions", list_)
    r.add("GET", "/v1/checkout/sessions/{id}", retrieve)
    r.add("POST", "/v1/checkout/sessions/{id}", update)
    r.add("GET", "/v1/checkout/sessions/{id}/line_items", line_items)
    r.add("POST", "/v1/checkout/sessions/{id}/expire", expire)
    r.add("POST", "/v1/test_helpers/checkout/sessions/{id}/complete", helper_complete)
    r.add("POST", "/v1/test_helpers/checkout/sessions/{id}/expire", helper_expire)


def page_routes(r):
    r.add("GET", "/checkout/{id}", checkout_page, page=True)
    r.add("POST", "/checkout/{id}", checkout_submit, page=True)
    r.add("GET", "/checkout/{id}/return", checkout_return, page=True)
