"""`python -m twilio_sim` honours its flags and environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
from twilio.request_validator import RequestValidator

from twilio_sim.background import free_port


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("simulator did not come up")


def test_flags_and_env_configure_the_process(receiver):
    port = free_port()
    inbound_url = receiver.url("/inbound")
    env = {**os.environ, "TWILIO_SIM_INBOUND_URL": inbound_url, "TWILIO_SIM_STEP_DELAY": "0.01"}
    process = subprocess.Popen(
        [sys.executable, "-m", "twilio_sim", "--host", "127.0.0.1", "--port", str(port), "--auth-token", "cli-token"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        settings = httpx.get(url + "/test_helpers/settings").json()
        assert settings["inbound_url"] == inbound_url
        assert settings["step_delay"] == 0.01
        assert "auth_token" not in settings

        httpx.post(url + "/test_helpers/inbound", json={"From": "+14155550100", "To": "+15005550006", "Body": "hi"})
        request = receiver.wait_for(1)[0]
        assert RequestValidator("cli-token").validate(inbound_url, request["params"], request["headers"]["X-Twilio-Signature"])
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
