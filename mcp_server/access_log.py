"""One INFO line per HTTP request: method, path, the JSON-RPC method and tool (or prompt), status, time.

    POST /mcp tools/call search_transcript 200 3.1 ms

The body is looked at as it passes to the app (nothing is buffered or delayed) and parsed only
when INFO is on for this logger and the body is small; each request costs one logger call.
`quiet_sdk()` lowers the SDK's per-request INFO noise ("Terminating session: None" on every
stateless request) to WARNING unless the log level is DEBUG. What the client sent (path, method,
tool name) is logged clipped and with control characters escaped, so it cannot forge log lines.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mcp_server.access")

PARSE_LIMIT = 64 * 1024  # a tool call is a few hundred bytes; a bigger body is logged without its method
PER_REQUEST_SDK_LOGGERS = ("mcp.server.streamable_http",)
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


PATH_LIMIT = 200


def quiet_sdk() -> None:
    """Only when our level is INFO or above: under DEBUG the SDK's lines are wanted."""
    if logging.getLogger().getEffectiveLevel() < logging.INFO:
        return
    for name in PER_REQUEST_SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def clean(text: str, limit: int) -> str:
    """`text` clipped to `limit` characters, with control and other unprintable characters
    escaped (`\\n`, `\\x1b`, `\\u2028`): what a client sends cannot forge a log line."""
    clipped = text[:limit]
    if not clipped.isprintable():
        clipped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in clipped)
    return clipped + ("…" if len(text) > limit else "")


def describe(body: bytes) -> str:
    """`tools/call search_transcript`, `initialize`, or `-` for what is not one JSON-RPC message."""
    if not body or len(body) > PARSE_LIMIT:
        return "-"
    try:
        message = json.loads(body)
    except ValueError:
        return "-"
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return "-"
    method: str = message["method"]
    params = message.get("params")
    key = NAMED.get(method)
    if key is not None and isinstance(params, dict) and isinstance(params.get(key), str):
        return f"{method} {clean(params[key], 100)}"
    return clean(method, 64)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = bytearray()
        status = 0

        async def peek() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= PARSE_LIMIT:
                body.extend(message.get("body", b""))
            return message

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, peek, watch)
        finally:
            method, path = clean(str(scope.get("method")), 16), clean(scope.get("path", ""), PATH_LIMIT)
            log.info("%s %s %s %d %.1f ms", method, path, describe(bytes(body)), status, (time.perf_counter() - started) * 1000)
