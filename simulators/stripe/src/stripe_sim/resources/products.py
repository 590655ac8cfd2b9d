"""Products and Prices (one-time; recurring prices are stored but nothing bills them)."""

from __future__ import annotations

from .. import errors
from ..currencies import parse_currency
from ..ids import new_id
from ..params import ANY, check_unknown, get_bool, get_dict, get_int, get_str, metadata
from .common import fetch, list_page

PRODUCT_SCHEMA = {"name": None, "description": None, "active": None, "metadata": ANY, "images": ANY, "id": None,
                  "default_price_data": ANY, "statement_descriptor": None, "tax_code": None, "unit_label": None,
                  "url": None, "shippable": None, "marketing_features": ANY}
PRODUCT_DATA = {"name": None, "description": None, "metadata": ANY, "images": ANY, "statement_descriptor": None,
                "tax_code": None, "unit_label": None}
PRICE_SCHEMA = {"currency": None, "unit_amount": None, "product": None, "product_data": PRODUCT_DATA,
                "nickname": None, "metadata": ANY, "active": None, "lookup_key": None, "tax_behavior": None,
                "recurring": {"interval": None, "interval_count": None, "usage_type": None},
                "billing_scheme": None, "unit_amount_decimal": None, "transfer_lookup_key": None}


def new_product(ctx, params: dict, param_prefix: str = "") -> dict:
    name = get_str(params, "name", required=True, param=f"{param_prefix}name" if not param_prefix
                   else f"{param_prefix}[name]")
    now = ctx.sim.now()
    prod = {
        "id": get_str(params, "id") or new_id("prod", 14),
        "object": "product",
        "active": get_bool(params, "active", True),
        "created": now,
        "default_price": None,
        "description": get_str(params, "description"),
        "images": [str(i) for i in params.get("images") or []],
        "livemode": False,
        "marketing_features": [],
        "metadata": metadata(params),
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": get_str(params, "statement_descriptor"),
        "tax_code": get_str(params, "tax_code"),
        "unit_label": get_str(params, "unit_label"),
        "updated": now,
        "url": get_str(params, "url"),
    }
    if prod["id"] in ctx.store.objects:
        raise errors.invalid("id", f"Product already exists.", code="resource_already_exists")
    ctx.store.add(prod)
    ctx.sim.emit("product.created", prod)
    return prod


def create_product(ctx, params):
    check_unknown(params, PRODUCT_SCHEMA)
    prod = new_product(ctx, params)
    dpd = get_dict(params, "default_price_data")
    if dpd:
        price = new_price(ctx, {**dpd, "product": prod["id"]}, "default_price_data")
        prod["default_price"] = price["id"]
    return prod


def retrieve_product(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "product", "product")


def update_product(ctx, params, id):
    check_unknown(params, {k: v for k, v in PRODUCT_SCHEMA.items() if k not in ("id", "default_price_data")}
                  | {"default_price": None})
    prod = fetch(ctx, id, "product", "product")
    for field in ("name", "description", "statement_descriptor", "unit_label", "url", "tax_code"):
        if field in params:
            prod[field] = get_str(params, field) or None
    if "active" in params:
        prod["active"] = get_bool(params, "active")
    if "metadata" in params:
        prod["metadata"] = metadata(params, prod["metadata"])
    if "default_price" in params:
        prod["default_price"] = fetch(ctx, get_str(params, "default_price"), "price", "price", "default_price")["id"]
    prod["updated"] = ctx.sim.now()
    ctx.store.dirty = True
    ctx.sim.emit("product.updated", prod)
    return prod


def delete_product(ctx, params, id):
    fetch(ctx, id, "product", "product")
    ctx.store.delete(id)
    return {"id": id, "object": "product", "deleted": True}


def list_products(ctx, params):
    active = get_bool(params, "active")
    pred = (lambda p: p["active"] == active) if active is not None else None
    return list_page(ctx, params, "/v1/products", ("product",), {"active": None, "ids": ANY, "shippable": None,
                                                                  "url": None}, pred)


def new_price(ctx, params: dict, prefix: str | None = None) -> dict:
    def p(name):
        return f"{prefix}[{name}]" if prefix else name

    currency = parse_currency(get_str(params, "currency", required=True, param=p("currency")), p("currency"))
    unit_amount = get_int(params, "unit_amount", param=p("unit_amount"), minimum=0)
    if unit_amount is None:
        raise errors.missing(p("unit_amount"))
    if unit_amount > 99_999_999:
        raise errors.invalid(p("unit_amount"), "This value must be less than or equal to 99999999.",
                             code="parameter_invalid_integer")
    product_id = get_str(params, "product", param=p("product"))
    product_data = get_dict(params, "product_data", param=p("product_data"))
    if product_id:
        fetch(ctx, product_id, "product", "product", p("product"))
    elif product_data:
        product_id = new_product(ctx, product_data, p("product_data"))["id"]
    else:
        raise errors.missing(p("product"), f"You must specify either `{p('product')}` or `{p('product_data')}`.")
    recurring = get_dict(params, "recurring", param=p("recurring"))
    price = {
        "id": new_id("price"),
        "object": "price",
        "active": get_bool(params, "active", True),
        "billing_scheme": "per_unit",
        "created": ctx.sim.now(),
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": get_str(params, "lookup_key"),
        "metadata": metadata(params),
        "nickname": get_str(params, "nickname"),
        "product": product_id,
        "recurring": {"interval": get_str(recurring, "interval", required=True, choices=("day", "week", "month", "year"),
                                          param=p("recurring[interval]")),
                      "interval_count": get_int(recurring, "interval_count") or 1, "meter": None,
                      "usage_type": "licensed"} if recurring else None,
        "tax_behavior": get_str(params, "tax_behavior") or "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }
    ctx.store.add(price, ("price", "product", product_id))
    ctx.sim.emit("price.created", price)
    return price


def create_price(ctx, params):
    check_unknown(params, PRICE_SCHEMA)
    return new_price(ctx, params)


def retrieve_price(ctx, params, id):
    check_unknown(params, {})
    return fetch(ctx, id, "price", "price")


def update_price(ctx, params, id):
    check_unknown(params, {"active": None, "metadata": ANY, "nickname": None, "lookup_key": None,
                           "tax_behavior": None, "transfer_lookup_key": None})
    price = fetch(ctx, id, "price", "price")
    if "active" in params:
        price["active"] = get_bool(params, "active")
    if "metadata" in params:
        price["metadata"] = metadata(params, price["metadata"])
    for field in ("nickname", "lookup_key"):
        if field in params:
            price[field] = get_str(params, field) or None
    ctx.store.dirty = True
    ctx.sim.emit("price.updated", price)
    return price


def list_prices(ctx, params):
    product = get_str(params, "product")
    active = get_bool(params, "active")
    kind = get_str(params, "type")
    currency = get_str(params, "currency")
    key = ("price", "product", product) if product else ("price",)

    def pred(p):
        return ((active is None or p["active"] == active) and (kind is None or p["type"] == kind)
                and (currency is None or p["currency"] == currency))

    return list_page(ctx, params, "/v1/prices", key, {"product": None, "active": None, "type": None,
                                                      "currency": None, "lookup_keys": ANY, "recurring": ANY}, pred)


def routes(r):
    r.add("POST", "/v1/products", create_product)
    r.add("GET", "/v1/products", list_products)
    r.add("GET", "/v1/products/{id}", retrieve_product)
    r.add("POST", "/v1/products/{id}", update_product)
    r.add("DELETE", "/v1/products/{id}", delete_product)
    r.add("POST", "/v1/prices", create_price)
    r.add("GET", "/v1/prices", list_prices)
    r.add("GET", "/v1/prices/{id}", retrieve_price)
    r.add("POST", "/v1/prices/{id}", update_price)
