"""The pages Stripe sends an expert to after Connect onboarding (billing's
`BILLING_CONNECT_RETURN_URL` / `BILLING_CONNECT_REFRESH_URL` point here by default).

A deployment with its own frontend points those variables at it instead; one without can change
the words here (`GATEWAY_ONBOARDING_RETURN_TEXT`, `GATEWAY_ONBOARDING_REFRESH_TEXT`).
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>"""


def _page(title: str, text: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), text=html.escape(text)),
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "Cache-Control": "no-store"})


@router.get("/payouts/onboarding/return", include_in_schema=False)
async def onboarding_returned(request: Request) -> HTMLResponse:
    return _page("Payout account set up", request.app.state.settings.onboarding_return_text)


@router.get("/payouts/onboarding/refresh", include_in_schema=False)
async def onboarding_refresh(request: Request) -> HTMLResponse:
    return _page("Onboarding link expired", request.app.state.settings.onboarding_refresh_text)
