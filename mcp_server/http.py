"""Streamable HTTP: the ASGI app and the uvicorn runner behind `serve --http`.

- Stateless (no sessions), JSON responses: any replica can answer any request.
- DNS-rebinding protection always on: the Host header must name a loopback address
  or one of the allowed hosts, and a browser Origin must match them.
- Optional bearer token from `$PODCAST_CORPUS_TOKEN`, compared in constant time.
- Request bodies capped (413 above the limit); `GET /healthz` answers without a token.
- Only POST on /mcp: a stateless server has no stream to offer a GET (nor a session to
  DELETE), so any other method gets 405 with `Allow: POST` instead of an SSE stream
  that would never carry anything.
- A body that is JSON but not one JSON-RPC message gets 400 with JSON-RPC -32600
  (Invalid Request) and a short message, in both protocol eras. A Host or Origin not allowed
  (421, 403), a Content-Type other than JSON (400) and an unsupported MCP-Protocol-Version
  (400, -32022) are answered in JSON-RPC too, saying what to send instead.
- Idle keep-alive connections stay open for 2 minutes (`KEEP_ALIVE_SECONDS`).
- SIGTERM/SIGINT: uvicorn stops accepting, lets requests finish, and `serve_http` returns
  (the command exits 0, no traceback).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn  # already loaded by the SDK
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp_types import INVALID_PARAMS, INVALID_REQUEST
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.server import HANDLED_SIGNALS

if TYPE_CHECKING:
    from mcp_server.oauth import OAuthSettings

log = logging.getLogger(__name__)

TOKEN_ENV = "PODCAST_CORPUS_TOKEN"  # noqa: S105 - the variable's name, not a secret
ALLOWED_HOSTS_ENV = "PODCAST_CORPUS_ALLOWED_HOSTS"
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
DEFAULT_MAX_BODY = 1024 * 1024
# How long an idle keep-alive connection stays open. Longer than clients keep idle connections
# for reuse (httpx 5 s, Node 5 s, Go 90 s) and than proxies' idle timeouts (60 s is common):
# the client side must give up first, or a request sent just as the server closes the
# connection fails (uvicorn's own default, 5 s, races httpx's 5 s: ReadError under load).
KEEP_ALIVE_SECONDS = 120
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def security_settings(bind_host: str, allowed_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """Host/Origin allow-lists: loopback names, the bound address, and the hosts given (any port)."""
    names = list(dict.fromkeys([*LOOPBACK_HOSTS, *allowed_hosts]))
    if bind_host not in ("0.0.0.0", "::", "") and not is_loopback(bind_host):  # noqa: S104 - wildcard is refused, not bound
        names.append(f"[{bind_host}]" if ":" in bind_host else bind_host)
    hosts = [h for name in names for h in (name, f"{name}:*")]
    origins = [o for name in names for o in (f"http://{name}", f"http://{name}:*", f"https://{name}", f"https://{name}:*")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


UNSUPPORTED_PROTOCOL_VERSION = -32022  # the 2026-07-28 protocol's UnsupportedProtocolVersionError


def _clip(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _message(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _request_id(body: bytes) -> Any:
    """The id of the JSON-RPC request in the body, when there is one (a refusal keeps it); else None."""
    found = _message(body).get("id")
    return found if isinstance(found, int | str) and not isinstance(found, bool) else None


def _has_envelope(body: bytes) -> bool:
    """Whether the message carries the 2026-07-28 per-request envelope (`params._meta` with a protocol version)."""
    params = _message(body).get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and "io.modelcontextprotocol/protocolVersion" in meta


def _replay(body: bytes) -> Receive:
    """A `receive` that hands the app the body already read, then reports the client gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def rpc_error(code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error answering a message whose id is unknown (`id: null`)."""
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


NOT_ONE_MESSAGE = rpc_error(
    INVALID_REQUEST,
    "Invalid Request: the body must be one JSON-RPC 2.0 message: an object with \"jsonrpc\": \"2.0\", "
    "a string \"method\", an object (or no) \"params\" and an \"id\" unless it is a notification; batches are not accepted",
)


def _is_envelope_rejection(body: bytes) -> bool:
    """The SDK's handshake-era answer to JSON that is not one JSON-RPC message.

    It says -32602 (Invalid params) with pydantic's error dump of the body; JSON-RPC 2.0 (and
    the SDK's own 2026-07-28 path) say -32600 (Invalid Request).
    """
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    if not isinstance(answer, dict) or answer.get("id") is not None or not isinstance(answer.get("error"), dict):
        return False
    error = answer["error"]
    return error.get("code") == INVALID_PARAMS and str(error.get("message", "")).startswith("Validation error")


class EnvelopeErrors:
    """Wraps `send` for one POST: a 400 that rejects the JSON-RPC envelope is rewritten (see above).

    Only 400 answers are held back and inspected; every other response streams through untouched.
    """

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 400:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        start, body = self.start, bytes(self.body)
        self.start, self.body = None, bytearray()
        if _is_envelope_rejection(body):
            body = json.dumps(NOT_ONE_MESSAGE, separators=(",", ":")).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


class FrontDoor:
    """In front of the MCP app: `GET /healthz` (no token, any Host), the bearer token check (401),
    405 for anything but POST on /mcp, and JSON-RPC -32600 for a body that is not one message."""

    def __init__(self, app: ASGIApp, server: MCPServer, token: str | None, security: TransportSecuritySettings) -> None:
        self.app = app
        self.health = JSONResponse({"status": "ok", "server": server.name, "version": server.version})
        self.expected = f"Bearer {token}".encode() if token else None
        self.security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path"), scope.get("method")
        if path == HEALTH_PATH:
            response = self.health if method in ("GET", "HEAD") else Response(status_code=405, headers={"Allow": "GET, HEAD"})
            await response(scope, receive, send)
            return
        if self.expected is not None:
            given = next((value for key, value in scope.get("headers", []) if key == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                refusal = JSONResponse(
                    {"error": "unauthorized", "error_description": f"send 'Authorization: Bearer <token>' (the server's ${TOKEN_ENV})"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="podcast-corpus"'},
                )
                await refusal(scope, receive, send)
                return
        if path == MCP_PATH and method != "POST":
            await self.refuse_method(scope, receive, send)
            return
        if path == MCP_PATH:
            refused, receive = await self.refuse_headers(scope, receive)
            if refused is not None:
                await refused(scope, receive, send)
                return
            send = EnvelopeErrors(send)
        await self.app(scope, receive, send)

    async def refuse_headers(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """A POST the SDK would refuse with a bare text line, answered in JSON-RPC with what to send
        instead: a Host or Origin not allowed (421, 403: checked first), a Content-Type other than
        JSON (400), an MCP-Protocol-Version this server does not speak (400, -32022, as the protocol's
        UnsupportedProtocolVersionError)."""
        request = Request(scope, receive)
        rejected = await self.security.validate_request(request, is_post=False)
        if rejected is not None:
            if rejected.status_code == 421:
                host = _clip(request.headers.get("host", ""))
                message = (f"Misdirected Request: Host {host!r} is not allowed (DNS-rebinding protection); start the server "
                           f"with --allowed-host {host.split(':')[0] or 'NAME'} (or list it in ${ALLOWED_HOSTS_ENV})")
            else:
                message = f"Forbidden: Origin {_clip(request.headers.get('origin', ''))!r} is not allowed for this server"
            return JSONResponse(rpc_error(INVALID_REQUEST, message), status_code=rejected.status_code), receive
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            message = f"Invalid Request: send the JSON-RPC message as Content-Type: application/json, not {_clip(content_type)!r}"
            error = rpc_error(INVALID_REQUEST, message)
            error["id"] = _request_id(await request.body())
            return JSONResponse(error, status_code=400), receive
        version = request.headers.get("mcp-protocol-version")
        if version is None or version in SUPPORTED_PROTOCOL_VERSIONS:
            return None, receive
        body = await request.body()
        if _has_envelope(body):  # a 2026-07-28 request: the SDK answers -32022 itself, with the versions of that era
            return None, _replay(body)
        supported = list(SUPPORTED_PROTOCOL_VERSIONS)
        error = rpc_error(UNSUPPORTED_PROTOCOL_VERSION, f"Unsupported protocol version {_clip(version)!r} (MCP-Protocol-Version "
                          f"header); this server supports {', '.join(supported)}")
        error["error"]["data"] = {"supported": supported, "requested": version}
        error["id"] = _request_id(body)
        return JSONResponse(error, status_code=400), receive

    async def refuse_method(self, scope: Scope, receive: Receive, send: Send) -> None:
        """405 (after the Host/Origin checks, so DNS rebinding still gets 421/403 first)."""
        response = await self.security.validate_request(Request(scope, receive), is_post=False)
        if response is None:
            message = "Method Not Allowed: this stateless server offers no stream (GET) and no session (DELETE); POST JSON-RPC messages"
            response = JSONResponse(rpc_error(INVALID_REQUEST, message), status_code=405, headers={"Allow": "POST"})
        await response(scope, receive, send)


def build_app(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    max_body_size: int = DEFAULT_MAX_BODY,
    oauth: OAuthSettings | None = None,
) -> ASGIApp:
    """The ASGI app serving `server` at /mcp (stateless streamable HTTP) and /healthz; with `oauth`,
    an OAuth protected resource (`mcp_server.oauth`)."""
    security = security_settings(host, allowed_hosts)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=max_body_size,
        transport_security=security,
        host=host,
    )
    front = FrontDoor(app, server, token, security)
    if oauth is None:
        return front
    from mcp_server.oauth import OAuthGate

    return OAuthGate(front, oauth)


class GracefulServer(uvicorn.Server):
    """uvicorn, whose SIGTERM/SIGINT shutdown ends in a plain return.

    uvicorn shuts down gracefully on the signal, then raises the signal again once it has
    restored the previous handlers: SIGTERM then kills the process (status -15) and SIGINT
    becomes a KeyboardInterrupt traceback. Here the handlers are restored and nothing is raised;
    a second SIGINT during the shutdown still forces it, as in uvicorn.
    """

    stop_signal: int | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stop_signal = sig
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def env_allowed_hosts() -> list[str]:
    return [h.strip() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]


def serve_http(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Sequence[str] = (),
    max_body_size: int = DEFAULT_MAX_BODY,
    workers: int = 1,
    before_fork: Callable[[], None] | None = None,
    in_worker: Callable[[int], None] | None = None,
    oauth: OAuthSettings | None = None,
) -> int:
    """Run uvicorn until SIGTERM/SIGINT, then return 0; logs go to stderr. With `workers` > 1, that
    many processes share the port (`mcp_server.http_workers`): `before_fork` runs once in the parent
    (bring the index up to date), `in_worker(number)` first thing in each worker; 1 when a worker
    exited on its own."""
    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and token is None and oauth is None:
        log.warning(
            "serving on %s without a token: anyone who can reach this address can use the server; "
            "set $%s to require 'Authorization: Bearer <token>'", host, TOKEN_ENV,
        )
    hosts = [*allowed_hosts, *env_allowed_hosts()]
    if host in ("0.0.0.0", "::") and not hosts:  # noqa: S104
        log.warning(
            "bound to %s but only loopback Host headers are allowed; pass --allowed-host NAME (or $%s) "
            "for the name clients use, or they get 421", host, ALLOWED_HOSTS_ENV,
        )
    from mcp_server.access_log import AccessLog, quiet_sdk

    quiet_sdk()
    app = AccessLog(build_app(server, host=host, token=token, allowed_hosts=hosts, max_body_size=max_body_size, oauth=oauth))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        server_header=False,
        log_config=None,
    )
    log.info("serving MCP over streamable HTTP at http://%s:%d%s (health: %s)", host, port, MCP_PATH, HEALTH_PATH)
    if workers <= 1:
        _run(config)
        return 0
    from mcp_server.http_workers import reuse_port_sockets, supervise

    sockets = reuse_port_sockets(host, port, workers)
    if before_fork is not None:
        before_fork()

    def worker(number: int, sock: socket.socket) -> None:
        if in_worker is not None:
            in_worker(number)
        _run(config, sock)

    return supervise(sockets, worker)


def _run(config: uvicorn.Config, sock: socket.socket | None = None) -> None:
    runner = GracefulServer(config)
    runner.run(sockets=[sock] if sock is not None else None)
    if runner.stop_signal is not None:
        log.info("%s received: stopped", signal.Signals(runner.stop_signal).name)
