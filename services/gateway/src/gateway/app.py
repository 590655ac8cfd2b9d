"""The gateway: authenticates, routes `/v1/*` to the services, serves the merged OpenAPI.

Two ASGI apps behind one dispatcher: `proxy.Forwarder` for the public paths it forwards, and a
FastAPI app for what the gateway answers itself (health, OpenAPI, docs, development tokens).
Request ids, and spans when traces are exported, wrap both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from settle_kit.errors import install_problem_handlers
from settle_kit.logs import configure_logging
from settle_kit.middleware import RequestIdMiddleware
from settle_kit.service import freeze_startup_objects
from settle_kit.telemetry import FASTAPI_TELEMETRY, UNTRACED_URLS, configure_tracing, exported

from gateway import console, dead_letters, docs, onboarding, openapi, proxy, routes
from gateway.config import Settings
from gateway.dev_tokens import router as dev_tokens
from gateway.ratelimit import RateLimits
from gateway.readiness import readiness_report, service_readiness

KEEPALIVE_S = 10.0
# Public paths the gateway answers itself rather than forwarding.
OWN_PATHS = frozenset({"/v1/dev/tokens"})
OWN_PREFIXES = ("/v1/admin/dead-letters",)


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.service_name, settings.otel_traces_exporter)
    traced = exported(settings.otel_traces_exporter)
    upstreams = settings.upstreams()
    limits = RateLimits(
        per_caller=settings.rate_limit, per_address=settings.rate_limit_by_address, storage=settings.rate_limit_storage_uri
    )
    forwarder = proxy.Forwarder(
        upstreams, jwt_secret=settings.jwt_secret.get_secret_value(), max_body=settings.max_body_bytes, traced=traced,
        limits=limits, max_upload=settings.max_upload_bytes,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.upstream_timeout_s, connect=settings.connect_timeout_s)
        # Idle connections are dropped well before the services close them (settle_kit.serve): a
        # request sent on a connection the far end is closing at that instant fails unsent.
        upstream = proxy.create_session(
            connect_timeout_s=settings.connect_timeout_s, upstream_timeout_s=settings.upstream_timeout_s, keepalive_s=KEEPALIVE_S,
            traced=traced,
        )
        async with upstream, httpx.AsyncClient(timeout=timeout) as client:
            forwarder.session = upstream
            app.state.client = client  # readiness and OpenAPI
            freeze_startup_objects()
            yield

    app = FastAPI(
        title="Settle API", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
        telemetry=FASTAPI_TELEMETRY,
    )
    app.state.settings = settings
    app.state.openapi_cache = None
    app.state.rate_limits = limits
    install_problem_handlers(app)
    app.include_router(dev_tokens)
    app.include_router(dead_letters.router)

    @app.exception_handler(dead_letters.PassedProblem)
    async def passed_problem(_: Request, exc: dead_letters.PassedProblem):
        return exc.response()

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        services = await service_readiness(request.app.state.client, upstreams, settings.readiness_timeout_s)
        return JSONResponse(readiness_report(services))  # 200: see gateway/readiness.py

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request) -> JSONResponse:
        if app.state.openapi_cache is None:
            own = get_openapi(title=app.title, version=app.version, routes=app.routes,
                              description="The Settle public API. Every path below `/v1` is served through this gateway.")
            documents = await openapi.fetch_documents(request.app.state.client, upstreams)
            merged = openapi.merge(own, documents)
            if all(documents.values()):
                app.state.openapi_cache = merged  # cache only a complete document
            return JSONResponse(merged)
        return JSONResponse(app.state.openapi_cache)

    app.include_router(docs.router)
    app.include_router(onboarding.router)
    app.mount(docs.ASSETS_URL, docs.ASSETS)
    app.include_router(console.router)
    app.mount(console.ASSETS_URL, console.ASSETS)

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and routes.is_forwarded(path) and path not in OWN_PATHS and not path.startswith(OWN_PREFIXES):
            await forwarder(scope, receive, send)
        else:
            await app(scope, receive, send)

    gateway: ASGIApp = RequestIdMiddleware(dispatch, jwt_secret=settings.jwt_secret.get_secret_value())
    if traced:
        gateway = OpenTelemetryMiddleware(gateway, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"])
    return gateway
