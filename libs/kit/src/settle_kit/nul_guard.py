"""Refuses text holding the NUL character before it reaches a handler.

PostgreSQL cannot store NUL in a text column, so a name or a search term holding one used to end
as a 500 from the database, halfway through a request. It is refused at the door instead: a 422
problem naming the field (a path or query parameter, or a JSON body's field by its path), and
nothing of the request is run. Only JSON bodies are read here (they are read whole by the
handler anyway), and only searched when their bytes hold an escaped NUL; other bodies (files,
signed webhook forms) are the handlers' own business.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settle_kit.errors import PROBLEM_JSON, Unprocessable

NUL = "\x00"


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_path(scope) or _in_query(scope)
        if field is None and _is_json(scope):
            messages = await _read_body(receive)
            body = b"".join(m.get("body", b"") for m in messages)
            if b"\\u0000" in body:
                field = _in_json(body)
            receive = _replaying(messages, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        await _refuse(field, scope, send)


def _in_path(scope: Scope) -> str | None:
    path = scope.get("path", "")
    return "path" if NUL in path or NUL in unquote(scope.get("raw_path", b"").decode("latin-1")) else None


def _in_query(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and NUL not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "query"
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _in_json(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON after all: the handler's validation says so
    return _find(document, ())


def _find(value: Any, path: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        return (".".join(path) or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return ".".join(path) or "body"
            if (found := _find(item, (*path, key))) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _find(item, (*path, str(index)))) is not None:
                return found
    return None


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(field: str, scope: Scope, send: Send) -> None:
    problem = Unprocessable(f"Invalid request: {field} holds a NUL character, which text cannot hold.", field=field)
    body = json.dumps(problem.body(scope.get("path"))).encode()
    await send({"type": "http.response.start", "status": problem.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
