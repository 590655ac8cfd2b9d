"""The ASGI application: authentication, form decoding, idempotency, routing, Stripe-shaped responses.

Written against raw ASGI rather than a framework's request objects because the hot path
(create + confirm) is dominated by per-request overhead.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from urllib.parse import unquote

from . import errors, forms, keys, persistence
from .config import Config
from .encoding import dumps_bytes
from .errors import StripeError
from .expand import expand
from .ids import new_id
from .params import get_list
from .simulator import Simulator

log = logging.getLogger("stripe_sim")


class Raw(str):
    """Pre-serialized JSON returned as is."""


class Html:
    def __init__(self, body: str, status: int = 200, headers: dict | None = None) -> None:
        self.body = body
        self.status = status
        self.headers = headers or {}


def redirect(url: str) -> Html:
    return Html("", 303, {"location": url})


class Route:
    __slots__ = ("handler", "publishable", "page")

    def __init__(self, handler, publishable: bool, page: bool) -> None:
        self.handler = handler
        self.publishable = publishable
        self.page = page


class Router:
    """Segment trie: static segments win over `{param}` segments."""

    def __init__(self) -> None:
        self.root: dict = {}

    def add(self, method: str, path: str, handler, *, publishable: bool = False, page: bool = False) -> None:
        node = self.root
        for seg in path.strip("/").split("/"):
            key = "{}" if seg.startswith("{") else seg
            node = node.setdefault(key, {})
        node.setdefault("", {})[method] = Route(handler, publishable, page)

    def match(self, method: str, path: str):
        node = self.root
        args = []
        for seg in path.strip("/").split("/"):
            nxt = node.get(seg)
            if nxt is None:
                nxt = node.get("{}")
                if nxt is None:
                    return None, None
                args.append(unquote(seg))
            node = nxt
        methods = node.get("")
        if methods is None:
            return None, None
        return methods.get(method), args


class Ctx:
    __slots__ = ("sim", "store", "method", "path", "headers", "key", "key_kind", "base_url", "query", "account")

    def __init__(self, sim, method, path, headers, base_url, query) -> None:
        self.sim = sim
        self.store = sim.store
        self.method = method
        self.path = path
        self.headers = headers
        self.base_url = base_url
        self.query = query
        self.key = None
        self.key_kind = None
        self.account = headers.get("stripe-account")


def build_router() -> Router:
    from .resources import ROUTE_MODULES
    from . import pages, test_helpers

    router = Router()
    for module in ROUTE_MODULES:
        module.routes(router)
    test_helpers.routes(router)
    pages.routes(router)
    return router


_JSON_HEADERS = [
    (b"content-type", b"application/json"),
    (b"stripe-version", b"2026-10-28.endive"),
    (b"access-control-allow-origin", b"*"),
]


class StripeSimApp:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.router = build_router()
        self._started = False
        self._persist_task = None

    async def _startup(self) -> None:
        if self._started:
            return
        self._started = True
        self.sim.webhooks.kick()
        loop = asyncio.get_running_loop()
        self._persist_task = loop.create_task(self._background())

    async def _background(self) -> None:
        from .resources import checkout

        while True:
            await asyncio.sleep(self.sim.config.persist_interval)
            # Stored objects live as long as the simulator: keep them out of the cyclic collector's
            # full passes, whose pauses would otherwise grow with the data.
            gc.freeze()
            try:
                checkout.expire_due(self.sim)
                if self.sim.config.state_file and self.sim.store.dirty:
                    persistence.save(self.sim, self.sim.config.state_file)
            except Exception:
                log.exception("background housekeeping failed")

    async def _shutdown(self) -> None:
        if self._persist_task is not None:
            self._persist_task.cancel()
        if self.sim.config.state_file:
            persistence.save(self.sim, self.sim.config.state_file)
        await self.sim.webhooks.close()

    async def __call__(self, scope, receive, send) -> None:
        """ASGI entry point, for embedding in any ASGI server."""
        kind = scope["type"]
        if kind == "http":
            if not self._started:
                await self._startup()
            body = b""
            more = True
            while more:
                msg = await receive()
                body += msg.get("body", b"")
                more = msg.get("more_body", False)
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            status, hdrs, payload = self.handle(scope["method"], scope["path"], scope.get("query_string", b""),
                                                headers, body, scope.get("scheme", "http"))
            hdrs.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": hdrs})
            await send({"type": "http.response.body", "body": payload})
        elif kind == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await self._startup()
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await self._shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    def handle(self, method: str, path: str, query: bytes, headers: dict, body: bytes, scheme: str = "http"):
        """One request, synchronously: (status, [(name, value)], payload). Header names are lower-case."""
        sim = self.sim
        base_url = sim.config.public_url
        if not base_url:
            base_url = f"{scheme}://{headers.get('host') or '127.0.0.1:12111'}"
            sim.base_url = base_url
        if method == "OPTIONS":
            return 204, [(b"access-control-allow-origin", b"*"), (b"access-control-allow-headers", b"*"),
                         (b"access-control-allow-methods", b"GET, POST, DELETE")], b""
        route, args = self.router.match(method, path)
        if route is not None and route.page:
            return self._page(route, args, method, path, headers, base_url, query, body)
        request_id = new_id("req", 14)
        status, payload, extra = self._api(route, args, method, path, headers, base_url, query, body, request_id)
        hdrs = list(_JSON_HEADERS)
        hdrs.append((b"request-id", request_id.encode()))
        hdrs.extend(extra)
        return status, hdrs, payload

    def _api(self, route, args, method, path, headers, base_url, query, body, request_id):
        sim = self.sim
        idem_key = headers.get("idempotency-key")
        sim.current_request = (request_id, idem_key)
        ctx = Ctx(sim, method, path, headers, base_url, query)
        extra: list = []
        try:
            try:
                ctx.key, ctx.key_kind = keys.authenticate(headers.get("authorization"))
                if route is None:
                    raise errors.unrecognized_url(method, path)
                if ctx.key_kind == keys.PUBLISHABLE and not route.publishable:
                    raise keys.publishable_not_allowed()
                try:
                    params = forms.decode(query if method in ("GET", "DELETE") else body)
                except forms.FormError as e:
                    raise StripeError(400, str(e), code="parameter_invalid", param=e.param)
            except StripeError as e:
                return e.status, dumps_bytes(e.body()), _encode_headers(e.headers)
            if idem_key and method == "POST":
                try:
                    replay = sim.idempotency.lookup(ctx.key, idem_key, method, path, params)
                except StripeError as e:
                    return e.status, dumps_bytes(e.body()), []
                if replay is not None:
                    return replay.status, replay.body, [(b"idempotent-replayed", b"true"),
                                                         (b"idempotency-key", idem_key.encode())]
            try:
                result = route.handler(ctx, params, *args)
                if isinstance(result, Raw):
                    payload = result.encode()
                else:
                    paths = get_list(params, "expand")
                    if paths:
                        result = expand(result, paths, sim.store.objects.get)
                    payload = dumps_bytes(result)
                status = 200
                save = True
            except StripeError as e:
                status = e.status
                payload = dumps_bytes(e.body())
                extra = _encode_headers(e.headers)
                # Stripe saves a result once an endpoint started executing; validation failures are not saved.
                save = status not in (400, 401, 429) or e.type == "idempotency_error"
            except Exception:
                log.exception("internal error on %s %s", method, path)
                status = 500
                payload = dumps_bytes({"error": {"type": "api_error", "message": "Internal simulator error."}})
                save = False
            if idem_key and method == "POST":
                extra.append((b"idempotency-key", idem_key.encode()))
                if save:
                    sim.idempotency.save(ctx.key, idem_key, method, path, params, status, payload)
            return status, payload, extra
        finally:
            sim.current_request = None

    def _page(self, route, args, method, path, headers, base_url, query, body):
        ctx = Ctx(self.sim, method, path, headers, base_url, query)
        try:
            form = forms.decode(query)
            if method == "POST":
                form.update(forms.decode(body))
            result = route.handler(ctx, form, *args)
        except StripeError as e:
            from .pages import error_page

            result = error_page(e.message, e.status)
        hdrs = [(b"content-type", b"text/html; charset=utf-8")]
        for k, v in result.headers.items():
            hdrs.append((k.encode(), v.encode()))
        return result.status, hdrs, result.body.encode()


def _encode_headers(headers: dict) -> list:
    return [(k.encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v)
            for k, v in headers.items()]


def create_app(config: Config | None = None, **options) -> StripeSimApp:
    """ASGI app; options are Config fields (state_file, webhook_url, webhook_secret, retry_schedule…)."""
    if config is None:
        config = Config.from_env(**options)
    sim = Simulator(config)
    if config.state_file:
        persistence.load(sim, config.state_file)
    if config.webhook_url:
        existing = [
            ep for ep in (sim.store.objects.get(i) for i in sim.store.index(("webhook_endpoint",)).ids)
            if ep and ep["url"] == config.webhook_url and ep.get("metadata", {}).get("stripe_sim") == "preconfigured"
        ]
        if existing:
            if config.webhook_secret:
                sim.store.endpoint_secrets[existing[0]["id"]] = config.webhook_secret
        else:
            sim.register_endpoint(config.webhook_url, ["*"], config.webhook_secret,
                                  description="Pre-registered from --webhook-url",
                                  metadata={"stripe_sim": "preconfigured"})
    app = StripeSimApp(sim)
    return app
