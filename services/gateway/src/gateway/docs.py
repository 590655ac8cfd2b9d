"""The API docs, `/docs` (Swagger UI) and `/redoc`, served whole by the gateway: their scripts and
stylesheet come from a pinned PyPI package (`fastapi-offline`, which ships Swagger UI's and
ReDoc's release bundles), so the pages work offline and send nothing to another host.

The pages also carry a Content-Security-Policy that lets them load from the gateway only: ReDoc
shows its maker's logo from a CDN, with no option to turn it off, and a policy is the one place
that keeps any such request of a future release from leaving the browser.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
ASSETS = StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static")
TITLE = "Settle API"

# Swagger UI's and ReDoc's pages start them with an inline script; ReDoc searches in a worker.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")

router = APIRouter()


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CSP
    return page


@router.get("/docs", include_in_schema=False)
async def swagger_ui() -> HTMLResponse:
    return _local_only(get_swagger_ui_html(
        openapi_url="/openapi.json", title=TITLE,
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        # No badge from Swagger's online validator: it would send the document's address out.
        swagger_ui_parameters={"validatorUrl": None},
    ))


@router.get("/redoc", include_in_schema=False)
async def redoc() -> HTMLResponse:
    return _local_only(get_redoc_html(
        openapi_url="/openapi.json", title=TITLE, redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False,
    ))
