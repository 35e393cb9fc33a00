"""A test OAuth authorization server on loopback: keys it generates, RFC 8414 metadata, a JWKS.

It mints tokens with PyJWT; `rotate()` replaces the published key; `jwks_fetches` counts how
often the resource server asked for the keys. `jwks_mode` makes the JWKS endpoint misbehave
("error": 500, "trickle": a byte a second, never done), `jwks_text` replaces the JWKS (raw JSON text), and
`jwks_uri` the one the metadata names.
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


def public_jwk(key: RSAPrivateKey, kid: str, alg: str | None = "RS256") -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", **({"alg": alg} if alg else {})}


@dataclass
class AuthServer:
    port: int = 0
    keys: dict[str, RSAPrivateKey] = field(default_factory=dict)
    jwks_fetches: int = 0
    generation: int = 0
    jwks_mode: str = "ok"
    jwks_text: str | None = None
    jwks_uri: str | None = None
    key_alg: str | None = "RS256"  # the published keys' "alg" (None: left out)
    stop: threading.Event = field(default_factory=threading.Event)

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
        return {"keys": [public_jwk(key, kid, self.key_alg) for kid, key in self.keys.items()]}

    def token(self, audience: str | list[str], *, scope: str | None = "corpus:read", expires_in: int = 300, issuer: str | None = None,
              kid: str | None = None, key: RSAPrivateKey | None = None, algorithm: str = "RS256", **claims: Any) -> str:
        kid = kid or self.kid
        now = int(time.time())
        payload: dict[str, Any] = {"iss": issuer or self.issuer, "aud": audience, "sub": "user-1", "client_id": "test-client",
                                   "iat": now, "exp": now + expires_in, **claims}
        if scope is not None:
            payload["scope"] = scope
        return jwt.encode(payload, key or self.keys.get(kid) or new_key(), algorithm=algorithm, headers={"kid": kid})


@contextmanager
def auth_server() -> Iterator[AuthServer]:
    state = AuthServer()
    state.rotate()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/oauth-authorization-server":
                body: dict[str, Any] | None = {"issuer": state.issuer, "jwks_uri": state.jwks_uri or f"{state.issuer}/jwks.json",
                                        "authorization_endpoint": f"{state.issuer}/authorize", "token_endpoint": f"{state.issuer}/token"}
            elif self.path == "/jwks.json":
                state.jwks_fetches += 1
                if state.jwks_mode == "error":
                    self.send_error(500)
                    return
                if state.jwks_mode == "trickle":
                    self._trickle()
                    return
                body = state.jwks() if state.jwks_text is None else None
            else:
                self.send_error(404)
                return
            data = state.jwks_text.encode() if body is None and state.jwks_text is not None else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self) -> None:
            """Headers, then a byte of body every half second until the server stops: each read
            is quick, the whole response never ends."""
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "1000000")
            self.end_headers()
            try:
                while not state.stop.wait(0.5):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
