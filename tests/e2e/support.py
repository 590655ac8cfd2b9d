"""Helpers shared by the end-to-end modules."""

from __future__ import annotations

import time

PROBLEM = "application/problem+json"


def eventually(check, timeout: float = 20.0, interval: float = 0.1):
    """Polls `check` until it returns something truthy or `timeout` passes; returns its last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
