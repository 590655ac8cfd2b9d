"""Connect: Express accounts and their onboarding, transfers and reversals, application fees."""

from __future__ import annotations


from .. import errors
from ..currencies import format_amount, parse_currency
from ..errors import StripeError
from ..ids import new_id, token
from ..params import ANY, check_unknown, get_bool, get_dict, get_int, get_str, metadata
from . import charges
from .common import fetch, list_page

ACCOUNT_SCHEMA = {
    "type": None, "country": None, "email": None, "business_type": None, "capabilities": ANY, "metadata": ANY,
    "business_profile": ANY, "controller": ANY, "default_currency": None, "settings": ANY, "tos_acceptance": ANY,
    "individual": ANY, "company": ANY, "external_account": ANY,
}
DUE = ["business_profile.mcc", "business_profile.url", "external_account", "individual.dob.day",
       "individual.first_name", "individual.last_name", "tos_acceptance.date", "tos_acceptance.ip"]


def _requirements(due: list) -> dict:
    return {"alternatives": [], "current_deadline": None, "currently_due": list(due),
            "disabled_reason": "requirements.past_due" if due else None, "errors": [],
            "eventually_due": list(due), "past_due": list(due), "pending_verification": []}


def create_account(ctx, params):
    check_unknown(params, ACCOUNT_SCHEMA)
    kind = get_str(params, "type", choices=("express", "standard", "custom")) or "express"
    country = (get_str(params, "country") or "US").upper()
    caps_requested = get_dict(params, "capabilities") or {"card_payments": {"requested": "true"},
                                                          "transfers": {"requested": "true"}}
    caps = {name: "inactive" for name, v in caps_requested.items()
            if isinstance(v, dict) and get_bool(v, "requested", param=f"capabilities[{name}][requested]")}
    id = new_id("acct", 16)
    acct = {
        "id": id,
        "object": "account",
        "business_profile": {"mcc": None, "name": None, "product_description": None, "support_address": None,
                             "support_email": None, "support_phone": None, "support_url": None, "url": None,
                             **(get_dict(params, "business_profile") or {})},
        "business_type": get_str(params, "business_type"),
        "capabilities": caps,
        "charges_enabled": False,
        "controller": {"fees": {"payer": "application"}, "is_controller": True, "losses": {"payments": "application"},
                       "requirement_collection": "stripe", "stripe_dashboard": {"type": kind}, "type": "application"},
        "country": country,
        "created": ctx.sim.now(),
        "default_currency": get_str(params, "default_currency") or ("usd" if country == "US" else "eur"),
        "details_submitted": False,
        "email": get_str(params, "email"),
        "external_accounts": {"object": "list", "data": [], "has_more": False,
                              "url": f"/v1/accounts/{id}/external_accounts"},
        "future_requirements": _requirements([]),
        "metadata": metadata(params),
        "payouts_enabled": False,
        "requirements": _requirements(DUE),
        "settings": {"dashboard": {"display_name": None, "timezone": "Etc/UTC"},
                     "payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"},
                                 "statement_descriptor": None}},
        "tos_acceptance": {"date": None},
        "type": kind,
    }
    ctx.store.add(acct)
    return acct


def complete_onboarding(ctx, acct: dict) -> None:
    prev = {"charges_enabled": acct["charges_enabled"], "payouts_enabled": acct["payouts_enabled"],
            "details_submitted": acct["details_submitted"], "capabilities": dict(acct["capabilities"]),
            "requirements": acct["requirements"]}
    acct["charges_enabled"] = True
    acct["payouts_enabled"] = True
    acct["details_submitted"] = True
    acct["capabilities"] = {name: "active" for name in (acct["capabilities"] or {"card_payments": 1, "transfers": 1})}
    acct["requirements"] = _requirements([])
    acct["tos_acceptance"] = {"date": ctx.sim.now()}
    ctx.store.dirty = True
    ctx.sim.emit("account.updated", acct, prev, account=acct["id"])


def retrieve_account(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "account", "account", "account")


def update_account(ctx, params, id):
    check_unknown(params, ACCOUNT_SCHEMA)
    acct = fetch(ctx, id, "account", "account", "account")
    prev = {}
    if "metadata" in params:
        prev["metadata"] = acct["metadata"]
        acct["metadata"] = metadata(params, acct["metadata"])
    if "email" in params:
        prev["email"] = acct["email"]
        acct["email"] = get_str(params, "email") or None
    bp = get_dict(params, "business_profile")
    if bp:
        prev["business_profile"] = dict(acct["business_profile"])
        acct["business_profile"].update(bp)
    ctx.store.dirty = True
    ctx.sim.emit("account.updated", acct, prev, account=id)
    return acct


def delete_account(ctx, params, id):
    fetch(ctx, id, "account", "account", "account")
    ctx.store.delete(id)
    return {"id": id, "object": "account", "deleted": True}


def list_accounts(ctx, params):
    return list_page(ctx, params, "/v1/accounts", ("account",))


def create_account_link(ctx, params):
    check_unknown(params, {"account": None, "refresh_url": None, "return_url": None, "type": None, "collect": None,
                           "collection_options": ANY})
    account = get_str(params, "account", required=True)
    fetch(ctx, account, "account", "account", "account")
    kind = get_str(params, "type", required=True, choices=("account_onboarding", "account_update"))
    refresh_url = get_str(params, "refresh_url", required=True)
    return_url = get_str(params, "return_url", required=True)
    now = ctx.sim.now()
    tok = token(32)
    ctx.store.private["acctlink_" + tok] = {"account": account, "refresh_url": refresh_url,
                                           "return_url": return_url, "expires_at": now + 300, "type": kind,
                                           "used": False}
    ctx.store.dirty = True
    return {"object": "account_link", "created": now, "expires_at": now + 300,
            "url": f"{ctx.sim.base_url}/connect/onboarding/{tok}"}


def create_login_link(ctx, params, id):
    fetch(ctx, id, "account", "account", "account")
    return {"object": "login_link", "created": ctx.sim.now(), "url": f"{ctx.sim.base_url}/connect/express/{id}"}


def _can_receive(ctx, destination: str, param: str) -> dict:
    acct = ctx.store.objects.get(destination)
    if acct is None or acct.get("object") != "account":
        raise errors.not_found("destination", destination, param)
    if (acct.get("capabilities") or {}).get("transfers") != "active":
        raise StripeError(400, "Your destination account needs to have at least one of the following capabilities "
                               "enabled: transfers, crypto_transfers, legacy_payments",
                          code="insufficient_capabilities_for_transfer", param=param)
    return acct


def _new_transfer(ctx, amount: int, currency: str, destination: str, *, source_transaction=None,
                  transfer_group=None, description=None, meta=None) -> dict:
    id = new_id("tr")
    now = ctx.sim.now()
    txn = charges.balance_transaction(ctx, -amount, currency, id, "transfer", 0, description)
    transfer = {
        "id": id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": txn["id"],
        "created": now,
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": new_id("py"),
        "livemode": False,
        "metadata": meta or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": f"/v1/transfers/{id}/reversals"},
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": "card",
        "transfer_group": transfer_group,
    }
    extra = [("transfer", "destination", destination)]
    if transfer_group:
        extra.append(("transfer", "transfer_group", transfer_group))
    ctx.store.add(transfer, *extra)
    if source_transaction:
        priv = ctx.store.private.setdefault(source_transaction, {})
        priv["transferred"] = priv.get("transferred", 0) + amount
    ctx.sim.emit("transfer.created", transfer)
    return transfer


def create_transfer(ctx, params):
    check_unknown(params, {"amount": None, "currency": None, "destination": None, "transfer_group": None,
                           "source_transaction": None, "metadata": ANY, "description": None, "source_type": None})
    amount = get_int(params, "amount", required=True, minimum=1)
    currency = parse_currency(get_str(params, "currency", required=True))
    destination = get_str(params, "destination", required=True)
    _can_receive(ctx, destination, "destination")
    source = get_str(params, "source_transaction")
    if source:
        charge = fetch(ctx, source, "charge", "charge", "source_transaction")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise errors.invalid("source_transaction", "The source_transaction charge has not succeeded.")
        if charge["currency"] != currency:
            raise errors.invalid("currency", "The currency of source_transaction's balance transaction "
                                             f"({charge['currency']}) must be the same as the transfer currency "
                                             f"({currency})")
        used = ctx.store.private.get(source, {}).get("transferred", 0)
        available = charge["amount_captured"] - charge["amount_refunded"] - used
        if amount > available:
            raise StripeError(400, f"The transfer amount ({format_amount(amount, currency)}) exceeds the available "
                                   f"amount on the source transaction ({format_amount(max(available, 0), currency)}).",
                              code="transfer_source_balance_parameters_mismatch", param="amount")
    return _new_transfer(ctx, amount, currency, destination, source_transaction=source,
                         transfer_group=get_str(params, "transfer_group"),
                         description=get_str(params, "description"), meta=metadata(params))


def destination_payment(ctx, charge: dict, amount: int, fee: int | None) -> None:
    td = charge["transfer_data"]
    destination = td["destination"]
    transfer_amount = td.get("amount") if td.get("amount") is not None else amount - (fee or 0)
    transfer = _new_transfer(ctx, transfer_amount, charge["currency"], destination,
                             source_transaction=charge["id"], transfer_group=charge["transfer_group"])
    charge["transfer"] = transfer["id"]
    charge["destination"] = destination
    if fee:
        fee_id = new_id("fee")
        fee_obj = {
            "id": fee_id,
            "object": "application_fee",
            "account": destination,
            "amount": fee,
            "amount_refunded": 0,
            "application": "ca_settlesimulator",
            "balance_transaction": charges.balance_transaction(ctx, fee, charge["currency"], fee_id,
                                                               "application_fee")["id"],
            "charge": charge["id"],
            "created": ctx.sim.now(),
            "currency": charge["currency"],
            "fee_source": {"charge": charge["id"], "type": "charge"},
            "livemode": False,
            "originating_transaction": charge["id"],
            "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": ""},
        }
        fee_obj["refunds"]["url"] = f"/v1/application_fees/{fee_id}/refunds"
        ctx.store.add(fee_obj, ("application_fee", "charge", charge["id"]))
        charge["application_fee"] = fee_obj["id"]
        charge["application_fee_amount"] = fee
        ctx.sim.emit("application_fee.created", fee_obj)


def _reverse(ctx, transfer: dict, amount: int, meta=None, description=None, source_refund=None) -> dict:
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if amount > remaining:
        raise StripeError(400, f"The amount you requested to reverse ({format_amount(amount, transfer['currency'])}) "
                               f"is greater than the amount remaining on the transfer "
                               f"({format_amount(remaining, transfer['currency'])}).",
                          code="amount_too_large", param="amount")
    id = new_id("trr")
    txn = charges.balance_transaction(ctx, amount, transfer["currency"], id, "transfer_refund", 0, description)
    rev = {
        "id": id,
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": txn["id"],
        "created": ctx.sim.now(),
        "currency": transfer["currency"],
        "destination_payment_refund": new_id("pyr"),
        "metadata": meta or {},
        "source_refund": source_refund,
        "transfer": transfer["id"],
    }
    ctx.store.add(rev, ("transfer_reversal", "transfer", transfer["id"]))
    prev = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    revs = transfer["reversals"]
    revs["data"] = ([rev] + revs["data"])[:10]
    revs["total_count"] = revs.get("total_count", 0) + 1
    revs["has_more"] = revs["total_count"] > 10
    if transfer["source_transaction"]:
        priv = ctx.store.private.setdefault(transfer["source_transaction"], {})
        priv["transferred"] = priv.get("transferred", 0) - amount
    ctx.store.dirty = True
    ctx.sim.emit("transfer.reversed", transfer, prev)
    return rev


def create_reversal(ctx, params, id):
    check_unknown(params, {"amount": None, "metadata": ANY, "description": None, "refund_application_fee": None})
    transfer = fetch(ctx, id, "transfer", "transfer")
    amount = get_int(params, "amount", minimum=1)
    if amount is None:
        amount = transfer["amount"] - transfer["amount_reversed"]
        if amount <= 0:
            raise StripeError(400, f"Transfer {id} has already been fully reversed.", code="transfer_already_reversed")
    return _reverse(ctx, transfer, amount, metadata(params), get_str(params, "description"))


def reverse_for_refund(ctx, charge: dict, refund_amount: int) -> str | None:
    transfer = ctx.store.objects[charge["transfer"]]
    amount = transfer["amount"] * refund_amount // max(charge["amount_captured"], 1)
    amount = min(amount, transfer["amount"] - transfer["amount_reversed"])
    if amount <= 0:
        return None
    return _reverse(ctx, transfer, amount)["id"]


def refund_application_fee(ctx, charge: dict, refund_amount: int) -> None:
    fee = ctx.store.objects[charge["application_fee"]]
    amount = fee["amount"] * refund_amount // max(charge["amount_captured"], 1)
    amount = min(amount, fee["amount"] - fee["amount_refunded"])
    if amount > 0:
        _fee_refund(ctx, fee, amount, {})


def _fee_refund(ctx, fee: dict, amount: int, meta: dict) -> dict:
    fr = {"id": new_id("fr"), "object": "fee_refund", "amount": amount, "balance_transaction": None,
          "created": ctx.sim.now(), "currency": fee["currency"], "fee": fee["id"], "metadata": meta}
    ctx.store.add(fr, ("fee_refund", "fee", fee["id"]))
    fee["amount_refunded"] += amount
    fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
    fee["refunds"]["data"] = ([fr] + fee["refunds"]["data"])[:10]
    fee["refunds"]["total_count"] += 1
    ctx.store.dirty = True
    ctx.sim.emit("application_fee.refunded", fee)
    return fr


def create_fee_refund(ctx, params, id):
    check_unknown(params, {"amount": None, "metadata": ANY})
    fee = fetch(ctx, id, "application_fee", "application fee")
    remaining = fee["amount"] - fee["amount_refunded"]
    amount = get_int(params, "amount", minimum=1)
    amount = remaining if amount is None else amount
    if amount > remaining or remaining <= 0:
        raise StripeError(400, "Refund amount is greater than the unrefunded amount on the application fee.",
                          code="amount_too_large", param="amount")
    return _fee_refund(ctx, fee, amount, metadata(params))


def retrieve_transfer(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "transfer", "transfer")


def update_transfer(ctx, params, id):
    check_unknown(params, {"metadata": ANY, "description": None})
    transfer = fetch(ctx, id, "transfer", "transfer")
    if "metadata" in params:
        transfer["metadata"] = metadata(params, transfer["metadata"])
    if "description" in params:
        transfer["description"] = get_str(params, "description") or None
    ctx.store.dirty = True
    ctx.sim.emit("transfer.updated", transfer)
    return transfer


def list_transfers(ctx, params):
    destination = get_str(params, "destination")
    group = get_str(params, "transfer_group")
    if destination:
        key = ("transfer", "destination", destination)
    elif group:
        key = ("transfer", "transfer_group", group)
    else:
        key = ("transfer",)
    pred = None
    if destination and group:
        pred = lambda t: t["transfer_group"] == group  # noqa: E731
    return list_page(ctx, params, "/v1/transfers", key, {"destination": None, "transfer_group": None}, pred)


def list_reversals(ctx, params, id):
    fetch(ctx, id, "transfer", "transfer")
    return list_page(ctx, params, f"/v1/transfers/{id}/reversals", ("transfer_reversal", "transfer", id))


def retrieve_reversal(ctx, params, id, rid):
    fetch(ctx, id, "transfer", "transfer")
    rev = fetch(ctx, rid, "transfer_reversal", "transfer reversal")
    if rev["transfer"] != id:
        raise errors.not_found("transfer reversal", rid)
    return rev


def update_reversal(ctx, params, id, rid):
    check_unknown(params, {"metadata": ANY})
    rev = retrieve_reversal(ctx, {}, id, rid)
    rev["metadata"] = metadata(params, rev["metadata"])
    ctx.store.dirty = True
    return rev


def retrieve_fee(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "application_fee", "application fee")


def list_fees(ctx, params):
    charge = get_str(params, "charge")
    key = ("application_fee", "charge", charge) if charge else ("application_fee",)
    return list_page(ctx, params, "/v1/application_fees", key, {"charge": None})


def list_fee_refunds(ctx, params, id):
    fetch(ctx, id, "application_fee", "application fee")
    return list_page(ctx, params, f"/v1/application_fees/{id}/refunds", ("fee_refund", "fee", id))


def routes(r):
    r.add("POST", "/v1/accounts", create_account)
    r.add("GET", "/v1/accounts", list_accounts)
    r.add("GET", "/v1/accounts/{id}", retrieve_account)
    r.add("POST", "/v1/accounts/{id}", update_account)
    r.add("DELETE", "/v1/accounts/{id}", delete_account)
    r.add("POST", "/v1/accounts/{id}/login_links", create_login_link)
    r.add("POST", "/v1/account_links", create_account_link)
    r.add("POST", "/v1/transfers", create_transfer)
    r.add("GET", "/v1/transfers", list_transfers)
    r.add("GET", "/v1/transfers/{id}", retrieve_transfer)
    r.add("POST", "/v1/transfers/{id}", update_transfer)
    r.add("POST", "/v1/transfers/{id}/reversals", create_reversal)
    r.add("GET", "/v1/transfers/{id}/reversals", list_reversals)
    r.add("GET", "/v1/transfers/{id}/reversals/{rid}", retrieve_reversal)
    r.add("POST", "/v1/transfers/{id}/reversals/{rid}", update_reversal)
    r.add("GET", "/v1/application_fees", list_fees)
    r.add("GET", "/v1/application_fees/{id}", retrieve_fee)
    r.add("POST", "/v1/application_fees/{id}/refunds", create_fee_refund)
    r.add("GET", "/v1/application_fees/{id}/refunds", list_fee_refunds)
