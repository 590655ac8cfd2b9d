"""PaymentIntents and Stripe's status machine:

requires_payment_method → requires_confirmation → requires_action → processing → requires_capture
→ succeeded, or canceled; a failed attempt goes back to requires_payment_method.
"""

from __future__ import annotations

import hmac

from .. import cards, errors, keys
from ..currencies import check_charge_amount, parse_currency
from ..errors import StripeError
from ..ids import new_id, token
from ..params import ANY, check_unknown, get_bool, get_dict, get_int, get_list, get_str, metadata
from . import charges, payment_methods
from .common import fetch, list_page

CONFIRM_SCHEMA = {
    "payment_method": None, "payment_method_data": ANY, "payment_method_options": ANY, "return_url": None,
    "off_session": None, "error_on_requires_action": None, "mandate_data": ANY, "use_stripe_sdk": None,
    "setup_future_usage": None, "receipt_email": None, "shipping": ANY, "capture_method": None,
    "payment_method_types": ANY, "radar_options": ANY, "mandate": None, "confirmation_token": None,
}
CREATE_SCHEMA = {
    **CONFIRM_SCHEMA,
    "amount": None, "currency": None, "customer": None, "metadata": ANY, "description": None,
    "automatic_payment_methods": {"enabled": None, "allow_redirects": None},
    "confirmation_method": None, "transfer_data": {"destination": None, "amount": None},
    "application_fee_amount": None, "transfer_group": None, "on_behalf_of": None, "confirm": None,
    "statement_descriptor": None, "statement_descriptor_suffix": None, "excluded_payment_method_types": ANY,
    "payment_method_configuration": None, "customer_account": None,
}
UPDATE_SCHEMA = {
    "amount": None, "currency": None, "customer": None, "metadata": ANY, "description": None,
    "payment_method": None, "payment_method_data": ANY, "payment_method_options": ANY, "payment_method_types": ANY,
    "receipt_email": None, "setup_future_usage": None, "shipping": ANY, "statement_descriptor": None,
    "statement_descriptor_suffix": None, "transfer_data": {"amount": None}, "transfer_group": None,
    "application_fee_amount": None, "capture_method": None, "excluded_payment_method_types": ANY,
}
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def _check_destination(ctx, destination: str, param: str) -> None:
    acct = ctx.store.objects.get(destination)
    if acct is None or acct.get("object") != "account":
        raise errors.not_found("destination", destination, param)
    if (acct.get("capabilities") or {}).get("transfers") != "active":
        raise StripeError(
            400,
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param=param,
        )


def _transfer_data(ctx, params: dict, amount: int) -> dict | None:
    td = get_dict(params, "transfer_data")
    if not td:
        return None
    destination = get_str(td, "destination", required=True, param="transfer_data[destination]")
    _check_destination(ctx, destination, "transfer_data[destination]")
    td_amount = get_int(td, "amount", param="transfer_data[amount]", minimum=1)
    if td_amount is not None and td_amount > amount:
        raise errors.invalid("transfer_data[amount]",
                             "The transfer amount must be less than or equal to the PaymentIntent amount.")
    return {"amount": td_amount, "destination": destination}


def _application_fee(ctx, params: dict, amount: int, transfer_data, on_behalf_of) -> int | None:
    fee = get_int(params, "application_fee_amount", minimum=0)
    if fee is None:
        return None
    if not transfer_data and not on_behalf_of and not ctx.account:
        raise errors.invalid(
            "application_fee_amount",
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).",
        )
    if fee > amount:
        raise errors.invalid("application_fee_amount",
                             "The application fee amount cannot be greater than the PaymentIntent amount.")
    return fee


def create(ctx, params):
    check_unknown(params, CREATE_SCHEMA)
    sim = ctx.sim
    amount = get_int(params, "amount", required=True)
    currency = parse_currency(get_str(params, "currency", required=True))
    check_charge_amount(amount, currency)
    customer = get_str(params, "customer")
    if customer:
        fetch(ctx, customer, "customer", "customer", "customer")
    capture_method = get_str(params, "capture_method", choices=CAPTURE_METHODS) or "automatic_async"
    pm_types = get_list(params, "payment_method_types")
    apm = get_dict(params, "automatic_payment_methods")
    if pm_types and apm and get_bool(apm, "enabled"):
        raise errors.invalid("automatic_payment_methods",
                             "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.")
    if apm is not None:
        automatic = {"enabled": bool(get_bool(apm, "enabled", param="automatic_payment_methods[enabled]"))}
        if "allow_redirects" in apm:
            automatic["allow_redirects"] = get_str(apm, "allow_redirects", choices=("always", "never"),
                                                   param="automatic_payment_methods[allow_redirects]")
    elif pm_types:
        automatic = None
    else:
        automatic = {"enabled": True}
    on_behalf_of = get_str(params, "on_behalf_of")
    if on_behalf_of:
        fetch(ctx, on_behalf_of, "account", "account", "on_behalf_of")
    transfer_data = _transfer_data(ctx, params, amount)
    fee = _application_fee(ctx, params, amount, transfer_data, on_behalf_of)
    pm = None
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, get_str(params, "payment_method"))
    elif params.get("payment_method_data"):
        pm = payment_methods.from_data(ctx, get_dict(params, "payment_method_data"))
    if pm is not None and pm.get("customer") and pm["customer"] != customer:
        raise errors.invalid("payment_method", "The provided PaymentMethod is attached to another Customer.")
    id = new_id("pi")
    pi = {
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": fee,
        "automatic_payment_methods": automatic,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{id}_secret_{token(25)}",
        "confirmation_method": get_str(params, "confirmation_method", choices=("automatic", "manual")) or "automatic",
        "created": sim.now(),
        "currency": currency,
        "customer": customer,
        "description": get_str(params, "description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata(params),
        "next_action": None,
        "on_behalf_of": on_behalf_of,
        "payment_method": pm["id"] if pm else None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": [str(t) for t in pm_types] if pm_types else ["card"],
        "processing": None,
        "receipt_email": get_str(params, "receipt_email"),
        "review": None,
        "setup_future_usage": get_str(params, "setup_future_usage", choices=("on_session", "off_session")),
        "shipping": params.get("shipping") or None,
        "source": None,
        "statement_descriptor": get_str(params, "statement_descriptor"),
        "statement_descriptor_suffix": get_str(params, "statement_descriptor_suffix"),
        "status": "requires_confirmation" if pm else "requires_payment_method",
        "transfer_data": transfer_data,
        "transfer_group": get_str(params, "transfer_group"),
    }
    extra = (("payment_intent", "customer", customer),) if customer else ()
    ctx.store.add(pi, *extra)
    sim.emit("payment_intent.created", pi)
    if get_bool(params, "confirm"):
        _confirm(ctx, pi, params)
    return pi


def retrieve(ctx, params, id):
    if ctx.key_kind == keys.PUBLISHABLE:
        check_unknown(params, {"client_secret": None})
        pi = fetch(ctx, id, "payment_intent", "payment_intent")
        _check_client_secret(pi, params)
        return pi
    check_unknown(params, {"client_secret": None})
    return fetch(ctx, id, "payment_intent", "payment_intent")


def _check_client_secret(pi: dict, params: dict) -> None:
    secret = get_str(params, "client_secret", required=True)
    if not hmac.compare_digest(secret, pi["client_secret"]):
        raise StripeError(
            400,
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
            code="payment_intent_invalid_parameter",
            param="client_secret",
        )


def update(ctx, params, id):
    check_unknown(params, UPDATE_SCHEMA)
    pi = fetch(ctx, id, "payment_intent", "payment_intent")
    status = pi["status"]
    changing_money = any(k in params for k in ("amount", "currency", "payment_method", "payment_method_data",
                                               "capture_method", "customer"))
    if changing_money and status not in CONFIRMABLE:
        field = next(k for k in ("amount", "currency", "payment_method", "payment_method_data", "capture_method",
                                 "customer") if k in params)
        raise errors.unexpected_state(
            f"This PaymentIntent's {field} could not be updated because it has a status of {status}. You may only "
            f"update the {field} of a PaymentIntent with one of the following statuses: "
            "requires_payment_method, requires_confirmation, requires_action.",
            extra={"payment_intent": pi},
        )
    amount = get_int(params, "amount")
    currency = parse_currency(get_str(params, "currency")) if params.get("currency") else pi["currency"]
    if amount is not None or "currency" in params:
        check_charge_amount(amount if amount is not None else pi["amount"], currency)
    if amount is not None:
        pi["amount"] = amount
    pi["currency"] = currency
    if "customer" in params:
        customer = get_str(params, "customer") or None
        if customer:
            fetch(ctx, customer, "customer", "customer", "customer")
            if customer != pi["customer"]:
                ctx.store.index(("payment_intent", "customer", customer)).add(pi["id"], pi["created"])
        pi["customer"] = customer
    if "metadata" in params:
        pi["metadata"] = metadata(params, pi["metadata"])
    for field in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix",
                  "transfer_group", "setup_future_usage"):
        if field in params:
            pi[field] = get_str(params, field) or None
    if "shipping" in params:
        pi["shipping"] = params["shipping"] or None
    if "capture_method" in params:
        pi["capture_method"] = get_str(params, "capture_method", choices=CAPTURE_METHODS)
    if "payment_method_types" in params:
        pi["payment_method_types"] = [str(t) for t in get_list(params, "payment_method_types") or ["card"]]
    if "application_fee_amount" in params:
        pi["application_fee_amount"] = _application_fee(ctx, params, pi["amount"], pi["transfer_data"],
                                                        pi["on_behalf_of"])
    td = get_dict(params, "transfer_data")
    if td and pi["transfer_data"]:
        pi["transfer_data"] = {**pi["transfer_data"], "amount": get_int(td, "amount", param="transfer_data[amount]")}
    pm = None
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, get_str(params, "payment_method"))
    elif params.get("payment_method_data"):
        pm = payment_methods.from_data(ctx, get_dict(params, "payment_method_data"))
    if pm is not None:
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    elif "payment_method" in params and params["payment_method"] == "":
        pi["payment_method"] = None
        pi["status"] = "requires_payment_method"
    ctx.store.dirty = True
    return pi


def confirm(ctx, params, id):
    if ctx.key_kind == keys.PUBLISHABLE:
        check_unknown(params, {**CONFIRM_SCHEMA, "client_secret": None, "expected_payment_method_type": None,
                               "save_payment_method": None, "key": None})
        pi = fetch(ctx, id, "payment_intent", "payment_intent")
        _check_client_secret(pi, params)
    else:
        check_unknown(params, {**CONFIRM_SCHEMA, "client_secret": None})
        pi = fetch(ctx, id, "payment_intent", "payment_intent")
    _confirm(ctx, pi, params)
    return pi


def _confirm(ctx, pi: dict, params: dict) -> None:
    status = pi["status"]
    if status not in CONFIRMABLE:
        raise errors.unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {status}. Only a PaymentIntent "
            "with one of the following statuses may be confirmed: requires_confirmation, "
            "requires_payment_method, requires_action.",
            extra={"payment_intent": pi},
        )
    pm = None
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, get_str(params, "payment_method"))
    elif params.get("payment_method_data"):
        pm = payment_methods.from_data(ctx, get_dict(params, "payment_method_data"))
    elif pi["payment_method"]:
        pm = ctx.store.objects.get(pi["payment_method"])
    if pm is None:
        raise errors.unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update "
            "the PaymentIntent with a payment method and then confirm it again, or confirm it again directly "
            "with a payment method or ConfirmationToken.",
            extra={"payment_intent": pi},
        )
    if pm.get("customer") and pm["customer"] != pi["customer"]:
        raise errors.invalid("payment_method", "The provided PaymentMethod is attached to another Customer.")
    pi["payment_method"] = pm["id"]
    if "capture_method" in params:
        pi["capture_method"] = get_str(params, "capture_method", choices=CAPTURE_METHODS)
    if "receipt_email" in params:
        pi["receipt_email"] = get_str(params, "receipt_email")
    if params.get("setup_future_usage"):
        pi["setup_future_usage"] = get_str(params, "setup_future_usage", choices=("on_session", "off_session"))
    private = ctx.store.private.setdefault(pi["id"], {})
    return_url = get_str(params, "return_url")
    if return_url:
        private["return_url"] = return_url
    number = payment_methods.number_of(ctx, pm["id"])
    if number in cards.AUTHENTICATION_REQUIRED and not private.get("authenticated"):
        if get_bool(params, "off_session") or get_bool(params, "error_on_requires_action"):
            decline = cards.Decline("authentication_required", "authentication_required",
                                    "Your card was declined. This transaction requires authentication.")
            _fail(ctx, pi, pm, decline)
        _require_action(ctx, pi, return_url or private.get("return_url"))
        return
    attempt(ctx, pi, pm, number)


def _require_action(ctx, pi: dict, return_url: str | None) -> None:
    url = f"{ctx.sim.base_url}/3ds/{pi['id']}"
    if return_url:
        pi["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": return_url}}
    else:
        pi["next_action"] = {"type": "use_stripe_sdk",
                             "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url,
                                                "source": pi["payment_method"]}}
    pi["status"] = "requires_action"
    ctx.store.dirty = True
    ctx.sim.emit("payment_intent.requires_action", pi)


def attempt(ctx, pi: dict, pm: dict, number: str) -> None:
    """One charge attempt; raises the card error after recording the failure, as Stripe does."""
    sim = ctx.sim
    pi["next_action"] = None
    pi["last_payment_error"] = None
    charge = charges.new_charge(ctx, pi, pm)
    pi["latest_charge"] = charge["id"]
    decline = cards.DECLINED.get(number) or cards.CHARGE_FAILS.get(number)
    if decline is not None:
        charge["status"] = "failed"
        charge["failure_code"] = decline.code
        charge["failure_message"] = decline.message
        charge["outcome"] = charges.declined_outcome(decline.decline_code)
        sim.emit("charge.failed", charge)
        _fail(ctx, pi, pm, decline, charge["id"])
    charge["outcome"] = charges.authorized_outcome()
    if number == cards.PROCESSING_CARD:
        pi["status"] = "processing"
        pi["processing"] = {"card": {}, "type": "card"}
        ctx.store.dirty = True
        sim.emit("charge.pending", charge)
        sim.emit("payment_intent.processing", pi)
        return
    authorize(ctx, pi, charge)


def authorize(ctx, pi: dict, charge: dict) -> None:
    sim = ctx.sim
    pi["processing"] = None
    charge["paid"] = True
    charge["status"] = "succeeded"
    if pi["capture_method"] == "manual":
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        ctx.store.dirty = True
        sim.emit("charge.succeeded", charge)
        sim.emit("payment_intent.amount_capturable_updated", pi)
        return
    charges.capture(ctx, charge, pi["amount"], pi["application_fee_amount"])
    pi["status"] = "succeeded"
    pi["amount_received"] = pi["amount"]
    ctx.store.dirty = True
    sim.emit("charge.succeeded", charge)
    sim.emit("payment_intent.succeeded", pi)


def _fail(ctx, pi: dict, pm: dict, decline: cards.Decline, charge_id: str | None = None):
    error = {
        "charge": charge_id,
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}",
        "message": decline.message,
        "payment_method": pm,
        "type": "card_error",
    }
    if charge_id is None:
        del error["charge"]
    pi["last_payment_error"] = error
    pi["payment_method"] = None
    pi["next_action"] = None
    pi["processing"] = None
    pi["status"] = "requires_payment_method"
    ctx.store.dirty = True
    ctx.sim.emit("payment_intent.payment_failed", pi)
    extra = {"payment_intent": pi, "payment_method": pm}
    if charge_id:
        extra["charge"] = charge_id
    raise cards.decline_error(decline, extra)


def complete_authentication(ctx, pi: dict, success: bool) -> None:
    """Outcome of the 3-D Secure page or test helper for a PaymentIntent in requires_action."""
    if pi["status"] != "requires_action":
        raise errors.unexpected_state(
            f"This PaymentIntent has a status of {pi['status']}; only one in requires_action can be authenticated.")
    pm = ctx.store.objects.get(pi["payment_method"])
    if not success:
        decline = cards.Decline("payment_intent_authentication_failure", None,
                                "We are unable to authenticate your payment method. Please choose a different "
                                "payment method and try again.")
        try:
            _fail(ctx, pi, pm, decline)
        except StripeError:
            pass  # recorded on the PaymentIntent; the caller reports the new state
        return
    ctx.store.private.setdefault(pi["id"], {})["authenticated"] = True
    try:
        attempt(ctx, pi, pm, payment_methods.number_of(ctx, pm["id"]))
    except StripeError:
        pass


def finish_processing(ctx, pi: dict, success: bool) -> None:
    if pi["status"] != "processing":
        raise errors.unexpected_state(f"This PaymentIntent has a status of {pi['status']}, not processing.")
    charge = ctx.store.objects[pi["latest_charge"]]
    if success:
        authorize(ctx, pi, charge)
        return
    pm = ctx.store.objects.get(pi["payment_method"])
    charge["status"] = "failed"
    charge["failure_code"] = "card_declined"
    charge["failure_message"] = cards.GENERIC.message
    charge["outcome"] = charges.declined_outcome("generic_decline")
    ctx.sim.emit("charge.failed", charge)
    try:
        _fail(ctx, pi, pm, cards.GENERIC, charge["id"])
    except StripeError:
        pass


def capture(ctx, params, id):
    check_unknown(params, {"amount_to_capture": None, "application_fee_amount": None, "metadata": ANY,
                           "statement_descriptor": None, "statement_descriptor_suffix": None,
                           "transfer_data": {"amount": None}, "final_capture": None})
    pi = fetch(ctx, id, "payment_intent", "payment_intent")
    if pi["status"] != "requires_capture":
        raise errors.unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            extra={"payment_intent": pi},
        )
    amount = get_int(params, "amount_to_capture", minimum=1)
    if amount is None:
        amount = pi["amount_capturable"]
    if amount > pi["amount_capturable"]:
        raise StripeError(
            400,
            f"The amount to capture ({amount}) must be less than or equal to the amount capturable "
            f"({pi['amount_capturable']}).",
            code="amount_too_large",
            param="amount_to_capture",
        )
    fee = pi["application_fee_amount"]
    if "application_fee_amount" in params:
        fee = _application_fee(ctx, params, amount, pi["transfer_data"], pi["on_behalf_of"])
        pi["application_fee_amount"] = fee
    if "metadata" in params:
        pi["metadata"] = metadata(params, pi["metadata"])
    charge = ctx.store.objects[pi["latest_charge"]]
    charges.capture(ctx, charge, amount, fee)
    pi["amount_capturable"] = 0
    pi["amount_received"] = amount
    pi["status"] = "succeeded"
    ctx.store.dirty = True
    ctx.sim.emit("charge.captured", charge)
    ctx.sim.emit("payment_intent.succeeded", pi)
    return pi


def cancel(ctx, params, id):
    check_unknown(params, {"cancellation_reason": None})
    pi = fetch(ctx, id, "payment_intent", "payment_intent")
    if pi["status"] not in CANCELABLE:
        raise errors.unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: " + ", ".join(CANCELABLE) + ".",
            extra={"payment_intent": pi},
        )
    reason = get_str(params, "cancellation_reason", choices=CANCEL_REASONS)
    if pi["status"] == "requires_capture":
        # Releasing an authorization shows on the charge as a full refund of the uncaptured amount.
        charge = ctx.store.objects[pi["latest_charge"]]
        charge["refunded"] = True
        charge["amount_refunded"] = charge["amount"]
        ctx.sim.emit("charge.expired" if reason == "abandoned" else "charge.refunded", charge)
    pi["status"] = "canceled"
    pi["canceled_at"] = ctx.sim.now()
    pi["cancellation_reason"] = reason
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    ctx.store.dirty = True
    ctx.sim.emit("payment_intent.canceled", pi)
    return pi


def list_(ctx, params):
    customer = get_str(params, "customer")
    if customer:
        key = ("payment_intent", "customer", customer)
        pred = lambda p: p["customer"] == customer  # noqa: E731
    else:
        key = ("payment_intent",)
        pred = None
    return list_page(ctx, params, "/v1/payment_intents", key, {"customer": None, "customer_account": None}, pred)


def routes(r):
    r.add("POST", "/v1/payment_intents", create)
    r.add("GET", "/v1/payment_intents", list_)
    r.add("GET", "/v1/payment_intents/{id}", retrieve, publishable=True)
    r.add("POST", "/v1/payment_intents/{id}", update)
    r.add("POST", "/v1/payment_intents/{id}/confirm", confirm, publishable=True)
    r.add("POST", "/v1/payment_intents/{id}/capture", capture)
    r.add("POST", "/v1/payment_intents/{id}/cancel", cancel)
