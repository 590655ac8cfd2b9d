"""Runs a service's app under uvicorn on its configured host and port (`python -m <service>`)."""

from __future__ import annotations

import socket

import uvicorn

from settle_kit.settings import ServiceSettings


KEEPALIVE_S = 30


def serve(app_factory: str, settings: ServiceSettings) -> None:
    # The port is bound before anything starts: a taken port ends the process at once, saying
    # which, instead of after start-up has begun connecting to the broker (whose reconnecting
    # client then kept the failed process alive).
    listening = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((settings.host, settings.port))
    except OSError as exc:
        listening.close()
        # uvicorn's own words for it, which `make up` (deploy/local/up.py) reads.
        raise SystemExit(
            f"[Errno {exc.errno}] error while attempting to bind on address ('{settings.host}', {settings.port}): {exc.strerror.lower()}"
        ) from None
    config = uvicorn.Config(
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
    uvicorn.Server(config).run(sockets=[listening])
