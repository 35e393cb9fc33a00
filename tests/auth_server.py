"""A test OAuth authorization server on loopback: keys it generates, RFC 8414 metadata, a JWKS.

It mints tokens with PyJWT; `rotate()` replaces the published key; `jwks_fetches` counts how
often the resource server asked for the keys.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class AuthServer:
    port: int = 0
    keys: dict[str, RSAPrivateKey] = field(default_factory=dict)
    jwks_fetches: int = 0
    generation: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rotate(self) -> str:
        """Publish a new key in place of the old ones; returns its kid."""
        self.generation += 1
        kid = f"key-{self.generation}"
        self.keys = {kid: new_key()}
        return kid

    @property
    def kid(self) -> str:
        return next(iter(self.keys))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(key, kid) for kid, key in self.keys.items()]}

    def token(self, audience: str, *, scope: str | None = "corpus:read", expires_in: int = 300, issuer: str | None = None,
              kid: str | None = None, key: RSAPrivateKey | None = None, **claims: Any) -> str:
        kid = kid or self.kid
        now = int(time.time())
        payload: dict[str, Any] = {"iss": issuer or self.issuer, "aud": audience, "sub": "user-1", "client_id": "test-client",
                                   "iat": now, "exp": now + expires_in, **claims}
        if scope is not None:
            payload["scope"] = scope
        return jwt.encode(payload, key or self.keys.get(kid) or new_key(), algorithm="RS256", headers={"kid": kid})


@contextmanager
def auth_server() -> Iterator[AuthServer]:
    state = AuthServer()
    state.rotate()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/oauth-authorization-server":
                body: dict[str, Any] = {"issuer": state.issuer, "jwks_uri": f"{state.issuer}/jwks.json",
                                        "authorization_endpoint": f"{state.issuer}/authorize", "token_endpoint": f"{state.issuer}/token"}
            elif self.path == "/jwks.json":
                state.jwks_fetches += 1
                body = state.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
