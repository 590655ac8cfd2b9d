"""A small synchronous client for the /test_helpers endpoints, for end-to-end assertions."""

from __future__ import annotations

import time

import httpx


class SimulatorControl:
    def __init__(self, base_url: str, timeout: float = 10.0):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def _post(self, path: str, payload: dict) -> dict:
        response = self.http.post(path, json=payload)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/test_helpers/reset", {})

    def settings(self, **changes) -> dict:
        if not changes:
            return self.http.get("/test_helpers/settings").raise_for_status().json()
        return self._post("/test_helpers/settings", changes)

    def rate_limit_next(self, count: int) -> dict:
        return self._post("/test_helpers/rate_limit", {"count": count})

    def fail_next(self, count: int, status: int = 500, after_create: bool = False) -> dict:
        return self._post("/test_helpers/server_errors", {"count": count, "status": status, "after_create": after_create})

    def slow_answers(self, count: int, seconds: float) -> dict:
        """The next `count` sends create their message at once and answer after `seconds`."""
        return self._post("/test_helpers/slow_answers", {"count": count, "seconds": seconds})

    def set_outcome(self, to: str, status: str, error_code: int | None = None) -> dict:
        return self._post("/test_helpers/outcomes", {"To": to, "Status": status, "ErrorCode": error_code})

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> dict:
        return self._post(f"/test_helpers/messages/{sid}/status", {"Status": status, "ErrorCode": error_code})

    def inbound(self, from_: str, to: str, body: str, **extra) -> dict:
        return self._post("/test_helpers/inbound", {"From": from_, "To": to, "Body": body, **extra})

    def messages(self, **filters) -> list[dict]:
        return self.http.get("/test_helpers/messages", params=filters).raise_for_status().json()["messages"]

    def message(self, sid: str) -> dict:
        return self.http.get(f"/test_helpers/messages/{sid}").raise_for_status().json()

    def webhooks(self, **filters) -> list[dict]:
        return self.http.get("/test_helpers/webhooks", params=filters).raise_for_status().json()["webhooks"]

    def opted_out(self) -> list[str]:
        return self.http.get("/test_helpers/opt_outs").raise_for_status().json()["opted_out"]

    def wait_for_status(self, sid: str, status: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self.message(sid)
            if message["status"] == status:
                return message
            if time.monotonic() > deadline:
                raise TimeoutError(f"{sid} is {message['status']}, not {status}, after {timeout}s")
            time.sleep(0.02)

    def close(self) -> None:
        self.http.close()
