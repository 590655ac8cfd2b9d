"""The operator console, `/console`: one page and its script, served by the gateway.

Why a small script-driven page rather than server-rendered templates: the console is a client of
the public admin API and nothing more (DESIGN.md, "Operator console"). The admin's token is kept
for the tab only (sessionStorage), which a server never sees without a cookie; the page sends it
as a bearer token to the same `/v1/admin/...` operations any client uses, so there is no second
way in to authorize, and every refusal (401, 403) is the API's own. The gateway renders no data.

Offline: the page, its script and stylesheet come from this package; the 30-day chart is inline
SVG drawn by the script; the money table (each currency's exponent) is written into the page from
`settle_kit.money`. A Content-Security-Policy lets the page load and fetch from the gateway only.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from settle_kit.money import SUPPORTED, SYMBOLS, exponent

STATIC = Path(__file__).parent / "static"
ASSETS_URL = "/console/assets"
ASSETS = StaticFiles(directory=STATIC)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

_MONEY = json.dumps({c: {"exponent": exponent(c), "symbol": SYMBOLS.get(c, "")} for c in sorted(SUPPORTED)})
_PAGE = (STATIC / "index.html").read_text().replace("{{money}}", _MONEY.replace("'", "&#39;"))

router = APIRouter()


@router.get("/console", include_in_schema=False)
async def console() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
    })
