"""`python -m stripe_sim --host 127.0.0.1 --port 12111 [--state-file F] [--webhook-url U --webhook-secret S]`"""

from __future__ import annotations

import argparse
import logging
import os


def main(argv: list[str] | None = None) -> None:
    from .config import Config, parse_schedule

    p = argparse.ArgumentParser(prog="stripe_sim", description="Stateful Stripe API simulator")
    p.add_argument("--host", default=os.environ.get("STRIPE_SIM_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("STRIPE_SIM_PORT", "12111")))
    p.add_argument("--state-file", help="persist state to this JSON file (loaded at start, saved on change)")
    p.add_argument("--webhook-url", help="pre-register an endpoint for all events (env STRIPE_SIM_WEBHOOK_URL)")
    p.add_argument("--webhook-secret", help="its signing secret, whsec_… (env STRIPE_SIM_WEBHOOK_SECRET)")
    p.add_argument("--webhook-retry-schedule", help="comma-separated seconds between retries, e.g. 1,2,4,8")
    p.add_argument("--webhook-duplicates", type=int, help="send every delivery N extra times")
    p.add_argument("--webhook-reorder-window", type=float,
                   help="hold deliveries this many seconds, then send newest first")
    p.add_argument("--public-url", help="base URL for hosted pages (default: the request's Host)")
    p.add_argument("--latency", type=float, help="hold every answer back this many seconds (env STRIPE_SIM_LATENCY_S)")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper())
    config = Config.from_env(
        state_file=args.state_file,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        retry_schedule=parse_schedule(args.webhook_retry_schedule) if args.webhook_retry_schedule else None,
        duplicates=args.webhook_duplicates,
        reorder_window=args.webhook_reorder_window,
        public_url=args.public_url,
        latency_s=args.latency,
    )
    if config.webhook_secret and not config.webhook_url:
        p.error("--webhook-secret needs --webhook-url")
    if config.webhook_secret and not config.webhook_secret.startswith("whsec_"):
        p.error("--webhook-secret must start with whsec_")

    from .app import create_app
    from .server import run

    app = create_app(config)
    if not config.public_url:
        app.sim.base_url = f"http://{args.host}:{args.port}"
    run(app, args.host, args.port)


if __name__ == "__main__":
    main()
