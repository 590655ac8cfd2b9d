"""The pages a customer sees at `/pay/{code}` when there is nothing to pay (plain HTML, no script,
nothing fetched from elsewhere)."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>"""
_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "Cache-Control": "no-store"}

GONE = {
    "paid": ("This invoice is paid", "Thank you: there is nothing left to pay with this link."),
    "cancelled": ("This payment link was cancelled", "The invoice was cancelled or replaced. Please contact the business that sent it."),
    "expired": ("This payment link has expired", "Please ask the business that sent it for a new link."),
}


def page(title: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), text=html.escape(text)), status_code=status, headers=_HEADERS)


def gone(reason: str) -> HTMLResponse:
    title, text = GONE[reason]
    return page(title, text, 410)


def not_found() -> HTMLResponse:
    return page("No such payment link", "Check the address in the text you received.", 404)


def unavailable(retry_after_s: int) -> HTMLResponse:
    response = page("Payments are unavailable for a moment", "Please try the link again in a minute.", 503)
    response.headers["Retry-After"] = str(retry_after_s)
    return response


def thanks() -> HTMLResponse:
    return page("Thank you", "Your payment is being confirmed; you will get a text when it is received.", 200)
