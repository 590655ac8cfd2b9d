"""python -m twilio_sim --host 127.0.0.1 --port 12112 [--auth-token T] [--inbound-url U]"""

from __future__ import annotations

import argparse
import os

import uvicorn

from twilio_sim.app import create_app
from twilio_sim.config import DEFAULT_HOST, DEFAULT_PORT, Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m twilio_sim", description="Twilio REST API simulator")
    parser.add_argument("--host", default=os.environ.get("TWILIO_SIM_HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TWILIO_SIM_PORT", DEFAULT_PORT)))
    parser.add_argument("--auth-token", help="signs webhooks (env TWILIO_SIM_AUTH_TOKEN)")
    parser.add_argument("--inbound-url", help="where inbound SMS webhooks go (env TWILIO_SIM_INBOUND_URL)")
    parser.add_argument("--account-sid", help="account of inbound messages (env TWILIO_SIM_ACCOUNT_SID)")
    parser.add_argument("--step-delay", type=float, help="seconds between status moves (env TWILIO_SIM_STEP_DELAY)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    settings = Settings.from_env(
        auth_token=args.auth_token,
        inbound_url=args.inbound_url,
        account_sid=args.account_sid,
        step_delay=args.step_delay,
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
