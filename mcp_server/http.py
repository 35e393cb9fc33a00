"""Streamable HTTP: the ASGI app and the uvicorn runner behind `serve --http`.

- Stateless (no sessions), JSON responses: any replica can answer any request.
- DNS-rebinding protection always on: the Host header must name a loopback address
  or one of the allowed hosts, and a browser Origin must match them.
- Optional bearer token from `$PODCAST_CORPUS_TOKEN`, compared in constant time.
- Request bodies capped (413 above the limit); `GET /healthz` answers without a token.
- uvicorn handles SIGTERM/SIGINT: it stops accepting, lets requests finish, then exits.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Sequence

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

TOKEN_ENV = "PODCAST_CORPUS_TOKEN"  # noqa: S105 - the variable's name, not a secret
ALLOWED_HOSTS_ENV = "PODCAST_CORPUS_ALLOWED_HOSTS"
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
DEFAULT_MAX_BODY = 1024 * 1024
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


class FrontDoor:
    """In front of the MCP app: `GET /healthz` (no token, any Host), then the bearer token check (401)."""

    def __init__(self, app: ASGIApp, server: MCPServer, token: str | None) -> None:
        self.app = app
        self.health = JSONResponse({"status": "ok", "server": server.name, "version": server.version})
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == HEALTH_PATH:
            response = self.health if scope.get("method") in ("GET", "HEAD") else Response(status_code=405)
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and self.expected is not None:
            given = next((value for key, value in scope.get("headers", []) if key == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                refusal = JSONResponse(
                    {"error": "unauthorized", "error_description": f"send 'Authorization: Bearer <token>' (the server's ${TOKEN_ENV})"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="podcast-corpus"'},
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    max_body_size: int = DEFAULT_MAX_BODY,
) -> ASGIApp:
    """The ASGI app serving `server` at /mcp (stateless streamable HTTP) and /healthz."""
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=max_body_size,
        transport_security=security_settings(host, allowed_hosts),
        host=host,
    )
    return FrontDoor(app, server, token)


def env_allowed_hosts() -> list[str]:
    return [h.strip() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]


def serve_http(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Sequence[str] = (),
    max_body_size: int = DEFAULT_MAX_BODY,
) -> None:
    """Run uvicorn until SIGTERM/SIGINT; logs go to stderr."""
    import uvicorn

    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and token is None:
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
    app = build_app(server, host=host, token=token, allowed_hosts=hosts, max_body_size=max_body_size)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,
        server_header=False,
        log_config=None,
    )
    log.info("serving MCP over streamable HTTP at http://%s:%d%s (health: %s)", host, port, MCP_PATH, HEALTH_PATH)
    uvicorn.Server(config).run()
