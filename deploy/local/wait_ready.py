"""Waits until a URL answers 200 (used by `make up`). Usage: wait_ready.py URL SECONDS"""

import sys
import time

import httpx

url, seconds = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        if httpx.get(url, timeout=2).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.5)
print(f"{url} was not ready after {seconds:.0f}s", file=sys.stderr)
sys.exit(1)
