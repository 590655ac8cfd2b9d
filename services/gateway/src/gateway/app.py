"""The gateway: authenticates, routes `/v1/*` to the services, serves the merged OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from settle_kit.auth import verify_token
from settle_kit.errors import NotFound, Unauthorized, install_problem_handlers
from settle_kit.logs import configure_logging
from settle_kit.middleware import RequestIdMiddleware
from settle_kit.telemetry import configure_tracing, instrument_app

from gateway import openapi, proxy, routes
from gateway.config import Settings
from gateway.dev_tokens import router as dev_tokens
from gateway.readiness import service_readiness

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
KEEPALIVE_S = 10.0


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    configure_tracing(settings.service_name, settings.otel_traces_exporter)
    upstreams = settings.upstreams()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.upstream_timeout_s, connect=settings.connect_timeout_s)
        # Idle connections are dropped well before the services close them (settle_kit.serve): a
        # request sent on a connection the far end is closing at that instant fails unsent.
        upstream = proxy.create_session(
            connect_timeout_s=settings.connect_timeout_s, upstream_timeout_s=settings.upstream_timeout_s, keepalive_s=KEEPALIVE_S
        )
        async with upstream, httpx.AsyncClient(timeout=timeout) as client:
            app.state.upstream = upstream  # forwarding
            app.state.client = client  # readiness and OpenAPI
            yield

    app = FastAPI(title="Settle API", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.openapi_cache = None
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(dev_tokens)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        report = await service_readiness(request.app.state.client, upstreams)
        ready = all(r["status"] == "ready" for r in report.values())
        return JSONResponse({"status": "ready" if ready else "unready", "services": report}, status_code=200 if ready else 503)

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

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Settle API")

    @app.api_route("/v1/{rest:path}", methods=METHODS, include_in_schema=False)
    async def route(request: Request, rest: str) -> Response:
        path = request.url.path
        service = routes.service_for(path)
        if service is None:
            raise NotFound(f"No endpoint at {path}.")
        if not routes.is_public(path):
            authorization = request.headers.get("authorization", "")
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("A bearer token is required.", code="missing_token")
            verify_token(settings.jwt_secret.get_secret_value(), token)
        return await proxy.forward(request.app.state.upstream, upstreams[service], service, request, settings.max_body_bytes)

    instrument_app(app)
    return app
