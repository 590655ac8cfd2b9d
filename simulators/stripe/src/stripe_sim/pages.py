"""Hosted HTML pages a person (or a headless browser) uses: Checkout, 3-D Secure, Connect onboarding."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from .app import Html, redirect
from .errors import StripeError

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.4rem} .box{border:1px solid #e3e8ee;border-radius:8px;padding:1.2rem;margin:1rem 0}
label{display:block;margin:.6rem 0 .2rem;font-size:.9rem} input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;background:#635bff;color:#fff;border:0;border-radius:6px;cursor:pointer}
button.secondary{background:#8792a2} .error{color:#df1b41} table{width:100%} td.r{text-align:right}
.badge{background:#ffde92;padding:.1rem .4rem;border-radius:4px;font-size:.75rem}
"""


def esc(value) -> str:
    return html.escape(str(value) if value is not None else "")


def layout(title: str, body: str, status: int = 200) -> Html:
    return Html(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_STYLE}</style></head>"
        f"<body><p><span class='badge'>TEST MODE</span> Settle Stripe simulator</p>{body}</body></html>",
        status,
    )


def error_page(message: str, status: int = 400) -> Html:
    return layout("Error", f"<h1>Something went wrong</h1><p class='error' id='error'>{esc(message)}</p>", status)


def with_query(url: str, **params) -> str:
    sep = "&" if "?" in url else "?"
    return url + sep + urlencode(params)


# --- 3-D Secure ---------------------------------------------------------------------------------

def three_ds_page(ctx, form, pi_id):
    pi = ctx.store.objects.get(pi_id)
    if pi is None or pi.get("object") != "payment_intent":
        return error_page(f"No such payment_intent: '{pi_id}'", 404)
    if pi["status"] != "requires_action":
        return layout("3D Secure", f"<h1>Nothing to authenticate</h1><p id='status'>{esc(pi['status'])}</p>")
    from .currencies import format_amount

    return layout("3D Secure authentication", f"""
<h1>3D Secure 2 test page</h1>
<div class='box'><p>Authenticate the payment of <b>{esc(format_amount(pi['amount'], pi['currency']))}</b>.</p>
<form method='post'><input type='hidden' name='action' value='complete'>
<button id='complete' type='submit'>Complete authentication</button></form>
<form method='post'><input type='hidden' name='action' value='fail'>
<button id='fail' class='secondary' type='submit'>Fail authentication</button></form></div>""")


def three_ds_submit(ctx, form, pi_id):
    from .resources import payment_intents

    pi = ctx.store.objects.get(pi_id)
    if pi is None or pi.get("object") != "payment_intent":
        return error_page(f"No such payment_intent: '{pi_id}'", 404)
    ok = form.get("action") != "fail"
    payment_intents.complete_authentication(ctx, pi, ok)
    priv = ctx.store.private.get(pi_id, {})
    after = priv.get("after_authentication")
    if after:
        from .resources import checkout

        return checkout.after_authentication(ctx, pi, after)
    return_url = priv.get("return_url")
    status = "succeeded" if pi["status"] in ("succeeded", "requires_capture", "processing") else "failed"
    if return_url:
        return redirect(with_query(return_url, payment_intent=pi_id,
                                   payment_intent_client_secret=pi["client_secret"], redirect_status=status))
    return layout("3D Secure", f"<h1>Authentication finished</h1><p id='status'>{esc(pi['status'])}</p>")


# --- Connect onboarding -------------------------------------------------------------------------

def _link(ctx, tok):
    link = ctx.store.private.get("acctlink_" + tok)
    if link is None:
        raise StripeError(404, "This onboarding link is invalid.")
    return link


def onboarding_page(ctx, form, tok):
    link = _link(ctx, tok)
    if link["used"] or ctx.sim.now() > link["expires_at"]:
        return redirect(link["refresh_url"])
    acct = ctx.store.objects.get(link["account"]) or {}
    return layout("Connect onboarding", f"""
<h1>Set up payouts for {esc(acct.get('email') or acct.get('id'))}</h1>
<form method='post' class='box'>
<label>Legal name<input name='name' value='Jenny Rosen'></label>
<label>Bank account (test)<input name='account_number' value='000123456789'></label>
<label>Routing number (test)<input name='routing_number' value='110000000'></label>
<button id='submit' type='submit'>Agree and submit</button></form>""")


def onboarding_submit(ctx, form, tok):
    from .resources import connect

    link = _link(ctx, tok)
    if link["used"] or ctx.sim.now() > link["expires_at"]:
        return redirect(link["refresh_url"])
    acct = ctx.store.objects.get(link["account"])
    if acct is None:
        return error_page("The account no longer exists.", 404)
    link["used"] = True
    if not acct["details_submitted"]:
        connect.complete_onboarding(ctx, acct)
    return redirect(link["return_url"])


def express_dashboard(ctx, form, acct_id):
    acct = ctx.store.objects.get(acct_id)
    if acct is None:
        return error_page(f"No such account: '{acct_id}'", 404)
    return layout("Express dashboard", f"<h1>Express dashboard</h1><p>{esc(acct_id)}</p>"
                  f"<p>Charges enabled: {esc(acct['charges_enabled'])}</p>")


def routes(r):
    r.add("GET", "/3ds/{id}", three_ds_page, page=True)
    r.add("POST", "/3ds/{id}", three_ds_submit, page=True)
    r.add("GET", "/connect/onboarding/{token}", onboarding_page, page=True)
    r.add("POST", "/connect/onboarding/{token}", onboarding_submit, page=True)
    r.add("GET", "/connect/express/{id}", express_dashboard, page=True)
    from .resources import checkout

    checkout.page_routes(r)
