"""HTTP clients for the official twilio SDK that send its requests to the simulator.

The SDK has no base-URL setting; it builds https://<product>.twilio.com URLs and hands them to
its http_client, so the adapter rewrites them there. Every *.twilio.com host is rewritten, not
only api.twilio.com, so a call the simulator lacks fails with a 404 instead of leaving the machine.

Neither client retries: the SDK's retries would resend a POST after a 5xx and send an SMS twice.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response


def rewrite_url(url: str, base_url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(base_url.rstrip("/"))
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))


class SimulatorHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, timeout: float | None = 10.0, **kwargs):
        if kwargs.get("max_retries"):
            raise ValueError("the simulator client never retries: a retried POST sends the SMS twice")
        kwargs.pop("max_retries", None)
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url
        if self.session is not None:
            for prefix in ("http://", "https://"):
                self.session.mount(prefix, HTTPAdapter(max_retries=0))

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        return super().request(method, rewrite_url(url, self.base_url), *args, **kwargs)


class AsyncSimulatorHttpClient(AsyncTwilioHttpClient):
    def __init__(self, base_url: str, timeout: float | None = 10.0, **kwargs):
        if kwargs.get("max_retries"):
            raise ValueError("the simulator client never retries: a retried POST sends the SMS twice")
        kwargs.pop("max_retries", None)
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url

    async def request(self, method: str, url: str, *args, **kwargs) -> Response:
        return await super().request(method, rewrite_url(url, self.base_url), *args, **kwargs)


def base_url_http_client(base_url: str, timeout: float | None = 10.0) -> SimulatorHttpClient:
    """For `twilio.rest.Client(sid, token, http_client=base_url_http_client("http://127.0.0.1:12112"))`."""
    return SimulatorHttpClient(base_url, timeout=timeout)


def async_base_url_http_client(base_url: str, timeout: float | None = 10.0) -> AsyncSimulatorHttpClient:
    """The same for the SDK's async methods (`create_async`); create it inside the running event loop."""
    return AsyncSimulatorHttpClient(base_url, timeout=timeout)
