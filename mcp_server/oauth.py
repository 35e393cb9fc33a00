"""OAuth 2.1 resource server for `serve --http --auth-issuer URL`, as the MCP authorization spec asks.

- `/.well-known/oauth-protected-resource` and `/.well-known/oauth-protected-resource/mcp`
  (RFC 9728 §3.1) answer the protected resource metadata: the resource (this server's /mcp URL),
  the authorization server (the issuer), the scopes, `bearer_methods_supported: ["header"]`.
  Open to anyone (and to browsers: `Access-Control-Allow-Origin: *`), like `/healthz`.
- Every other request needs `Authorization: Bearer <JWT>`, checked with PyJWT (no crypto here):
  signature against the issuer's JWKS, `iss` = the issuer, `aud` = the resource URL, `exp`
  (required; 30 s leeway), and the required scopes (`scope` string or `scp` list).
- No token or a bad one: 401, `WWW-Authenticate: Bearer resource_metadata="..."` (with
  `error="invalid_token"` when a token was given); a valid token short of a scope: 403,
  `error="insufficient_scope", scope="..."`; the issuer's keys unreachable: 503.
- The JWKS is found from the issuer's metadata (RFC 8414, then OpenID Connect discovery), kept
  for an hour, and fetched again when a token names a key it does not hold (keys rotated), at
  most once every `refresh_interval` seconds so that made-up key ids cannot flood the issuer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import jwt
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/oauth-protected-resource"
OPEN_PATHS = ("/healthz",)
# Asymmetric algorithms only: a JWKS publishes public keys; "none" and HMAC are never accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
JWKS_MAX_AGE = 3600.0
FETCH_TIMEOUT = 5.0


@dataclass(frozen=True)
class OAuthSettings:
    """What `--auth-issuer`, `--auth-audience` and `--auth-scope` say."""

    issuer: str
    resource: str  # this server's MCP endpoint URL: the tokens' audience
    scopes: tuple[str, ...] = ()
    leeway: float = 30.0
    refresh_interval: float = 10.0  # least time between two JWKS fetches caused by unknown key ids

    @property
    def metadata_url(self) -> str:
        return str(build_resource_metadata_url(AnyHttpUrl(self.resource)))

    def metadata(self) -> dict[str, Any]:
        document = ProtectedResourceMetadata(
            resource=AnyHttpUrl(self.resource),
            authorization_servers=[AnyHttpUrl(self.issuer)],
            scopes_supported=list(self.scopes) or None,
            bearer_methods_supported=["header"],
            resource_name="podcast-corpus-mcp",
        )
        # The model checks the document; its URL type would add "/" to an issuer without a path,
        # and a client compares the issuer identifier as a string (RFC 8414 §3.3): keep them as given.
        return {**document.model_dump(mode="json", exclude_none=True), "resource": self.resource, "authorization_servers": [self.issuer]}


def default_resource(host: str, port: int, allowed_hosts: Sequence[str], path: str = "/mcp") -> str:
    """The resource URL when `--auth-audience` is not given: https on the first `--allowed-host`
    (a public name is behind TLS), else the bound address."""
    if allowed_hosts:
        return f"https://{allowed_hosts[0]}{path}"
    name = f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}{path}"


class TokenRefused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def discovery_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may be: RFC 8414 (path after the well-known part), then OpenID
    Connect discovery in both spellings."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    return [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}/.well-known/openid-configuration{path}",
        f"{origin}{path}/.well-known/openid-configuration",
    ]


@dataclass
class JwksCache:
    """The issuer's signing keys by key id, fetched when missing, old, or naming no key we hold."""

    issuer: str
    refresh_interval: float = 10.0
    jwks_uri: str | None = None
    keys: dict[str | None, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    fetches: int = 0
    _lock: anyio.Lock | None = None

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        if time.monotonic() - self.fetched_at > JWKS_MAX_AGE:
            try:
                await self._refresh(force=True)
            except TokenRefused:
                if not self.keys:
                    raise
                # the issuer is down but its keys are known: keep them, and try again a little later
                self.fetched_at = time.monotonic() - JWKS_MAX_AGE + max(self.refresh_interval, 1.0)
        found = self._find(kid)
        if found is None and time.monotonic() - self.fetched_at >= self.refresh_interval:
            await self._refresh(force=False)
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    async def _refresh(self, *, force: bool) -> None:
        if self._lock is None:
            self._lock = anyio.Lock()  # made on first use, in the process (worker) that serves
        started = time.monotonic()
        async with self._lock:
            if self.fetched_at >= started or (not force and time.monotonic() - self.fetched_at < self.refresh_interval):
                return  # another request fetched while this one waited
            try:
                async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False) as client:
                    if self.jwks_uri is None:
                        self.jwks_uri = await self._discover(client)
                    response = await client.get(self.jwks_uri)
                    response.raise_for_status()
                    document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("cannot fetch the signing keys of %s: %s", self.issuer, exc)
                raise TokenRefused(503, "temporarily_unavailable", "the authorization server's keys cannot be fetched") from exc
            self.keys = _usable_keys(document)
            self.fetched_at = time.monotonic()
            self.fetches += 1
            log.info("fetched %d signing key(s) of %s from %s", len(self.keys), self.issuer, self.jwks_uri)

    async def _discover(self, client: httpx.AsyncClient) -> str:
        for url in discovery_urls(self.issuer):
            response = await client.get(url)
            if response.status_code != 200:
                continue
            metadata = response.json()
            if isinstance(metadata, dict) and metadata.get("issuer") == self.issuer and isinstance(metadata.get("jwks_uri"), str):
                return str(metadata["jwks_uri"])
            log.warning("%s does not describe issuer %s with a jwks_uri", url, self.issuer)
        raise httpx.HTTPError(f"no authorization server metadata for {self.issuer} (tried {', '.join(discovery_urls(self.issuer))})")


def _usable_keys(document: Any) -> dict[str | None, jwt.PyJWK]:
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry.get("kid")] = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            log.warning("skipping signing key %r: %s", entry.get("kid"), exc)
    return keys


def granted_scopes(claims: dict[str, Any]) -> set[str]:
    scope, scp = claims.get("scope"), claims.get("scp")
    granted = set(scope.split()) if isinstance(scope, str) else set()
    if isinstance(scp, list):
        granted |= {s for s in scp if isinstance(s, str)}
    elif isinstance(scp, str):
        granted |= set(scp.split())
    return granted


class JwtVerifier:
    def __init__(self, settings: OAuthSettings) -> None:
        self.settings = settings
        self.jwks = JwksCache(settings.issuer, settings.refresh_interval)

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or TokenRefused saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is not a JWT") from exc
        if header.get("alg") not in ALGORITHMS:
            raise TokenRefused(401, "invalid_token", f"tokens signed with {header.get('alg')!r} are not accepted")
        kid = header.get("kid")
        key = await self.jwks.key(kid if isinstance(kid, str) else None)
        if key is None:
            raise TokenRefused(401, "invalid_token", "the token's signing key is not among the authorization server's keys")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.settings.resource,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused(401, "invalid_token", "the access token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRefused(401, "invalid_token", f"the access token is not for this resource ({self.settings.resource})") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(401, "invalid_token", f"the access token is invalid: {exc}") from exc
        missing = [s for s in self.settings.scopes if s not in granted_scopes(claims)]
        if missing:
            raise TokenRefused(403, "insufficient_scope", f"the access token lacks the scope {' '.join(missing)}")
        return claims


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class OAuthGate:
    """ASGI: serves the metadata, lets `/healthz` through, and lets nothing else by without a valid token."""

    def __init__(self, app: ASGIApp, settings: OAuthSettings, verifier: JwtVerifier | None = None) -> None:
        self.app = app
        self.settings = settings
        self.verifier = verifier or JwtVerifier(settings)
        resource_path = urlsplit(settings.resource).path.rstrip("/")
        self.metadata_paths = {WELL_KNOWN, f"{WELL_KNOWN}{resource_path}"}
        self.metadata_body = json.dumps(settings.metadata(), separators=(",", ":")).encode()
        self.challenge = f"resource_metadata={_quoted(settings.metadata_url)}"
        if settings.scopes:
            self.challenge += f", scope={_quoted(' '.join(settings.scopes))}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in self.metadata_paths:
            await self._metadata(scope, send)
            return
        if path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = next((value for key, value in scope.get("headers", []) if key == b"authorization"), b"").decode("latin-1")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await self._refuse(send, 401, None, "send 'Authorization: Bearer <access token>' from the authorization server")
            return
        try:
            claims = await self.verifier.verify(token.strip())
        except TokenRefused as refused:
            await self._refuse(send, refused.status, refused.error, refused.description)
            return
        scope.setdefault("state", {})["oauth_claims"] = claims
        await self.app(scope, receive, send)

    async def _metadata(self, scope: Scope, send: Send) -> None:
        if scope.get("method") != "GET":
            await _send(send, 405, b"", [(b"allow", b"GET")])
            return
        headers = [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*"), (b"cache-control", b"max-age=3600")]
        await _send(send, 200, self.metadata_body, headers)

    async def _refuse(self, send: Send, status: int, error: str | None, description: str) -> None:
        challenge = self.challenge
        if error is not None:
            challenge = f"error={_quoted(error)}, error_description={_quoted(description)}, {challenge}"
        body = json.dumps({"error": error or "unauthorized", "error_description": description}).encode()
        headers = [(b"content-type", b"application/json"), (b"www-authenticate", f"Bearer {challenge}".encode())]
        await _send(send, status, body, headers)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
