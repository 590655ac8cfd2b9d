"""Runs a service's app under uvicorn on its configured host and port (`python -m <service>`)."""

from __future__ import annotations

import uvicorn

from settle_kit.settings import ServiceSettings


KEEPALIVE_S = 30


def serve(app_factory: str, settings: ServiceSettings) -> None:
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our structured logging is configured by the app
        access_log=False,  # the kit's middleware logs each request once, with its user and request id
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        # Longer than the gateway keeps idle connections (gateway/app.py KEEPALIVE_S), so the
        # gateway, not the service, always closes first.
        timeout_keep_alive=KEEPALIVE_S,
    )
