"""OAuth 2.1 resource server for `serve --http --auth-issuer URL`, as the MCP authorization spec asks.

- `/.well-known/oauth-protected-resource` and the path `build_resource_metadata_url` gives the
  resource (RFC 9728 §3.1; `/.well-known/oauth-protected-resource/mcp`) answer the protected
  resource metadata: the resource (this server's /mcp URL), the authorization server (the issuer),
  the scopes, `bearer_methods_supported: ["header"]`. Open to anyone, and to browsers (CORS
  preflight, HEAD, `Access-Control-Allow-Origin: *`), like `/healthz`.
- Every other request needs `Authorization: Bearer <JWT>`, checked with PyJWT (no crypto here):
  signature against the issuer's JWKS with the token's algorithm (asymmetric only, and fitting the
  key's type), `iss` = the issuer, `aud` = the resource URL, `exp` (required; 30 s leeway), `nbf`
  and `iat` when present, and the required scopes (`scope` string or `scp` list).
- No token or a bad one: 401, `WWW-Authenticate: Bearer resource_metadata="..."` (with
  `error="invalid_token"` and a fixed description when a token was given); a valid token short of
  a scope: 403, `error="insufficient_scope", scope="..."`; the issuer's keys unreachable: 503 with
  `Retry-After` and a plain challenge.
- The issuer and its `jwks_uri` must be https, except on loopback. The JWKS is found from the
  issuer's metadata (RFC 8414, then OpenID Connect discovery), kept for an hour, and fetched again
  when a token names a key it does not hold (keys rotated), at most once every `refresh_interval`
  seconds, failed fetches included, so that made-up key ids cannot flood the issuer; one fetch at
  a time, bounded as a whole. Keys that cannot be used are skipped.
"""

from __future__ import annotations

import ipaddress
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
from pydantic import AnyHttpUrl, ValidationError
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


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a name or address that never leaves this machine."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, need_https: bool) -> str | None:
    """What is wrong with `url` as an http(s) URL (None: nothing). With `need_https`, plain http is
    allowed only to a loopback host: tokens and keys must not travel in the clear."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("https", "http"):
        return "must be an http(s) URL"
    if not host:
        return "names no host"
    try:
        AnyHttpUrl(url)
    except ValidationError:
        return "is not a valid URL"
    if need_https and parts.scheme != "https" and not is_loopback_host(host):
        return "must use https (plain http only to a loopback host: localhost, 127.0.0.1, ::1)"
    return None


class TokenRefused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def unavailable() -> TokenRefused:
    return TokenRefused(503, "temporarily_unavailable", "the authorization server's keys cannot be fetched")


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


KEY_TYPES = ("RSA", "EC", "OKP")
EC_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
OKP_CURVES = ("Ed25519", "Ed448")


def fits(jwk: dict[str, Any], alg: str) -> bool:
    """Whether a key of this type (and curve) can verify `alg`: RSA RS*/PS*, EC the ES* of its
    curve, OKP EdDSA. Only asymmetric algorithms of ALGORITHMS ever fit."""
    if alg not in ALGORITHMS:
        return False
    kty = jwk.get("kty")
    if kty == "RSA":
        return alg[:2] in ("RS", "PS")
    if kty == "EC":
        return EC_CURVES.get(jwk.get("crv")) == alg  # type: ignore[arg-type]
    if kty == "OKP":
        return alg == "EdDSA" and jwk.get("crv") in OKP_CURVES
    return False


@dataclass
class JwksCache:
    """The issuer's signing keys by key id, fetched when missing, old, or naming no key we hold.

    A fetch, failed or not, is followed by at least `refresh_interval` seconds (1 s after a
    failure) without another: meanwhile the keys held are used, and without keys the answer is
    503 at once. One fetch runs at a time, bounded as a whole by `fetch_timeout`; requests that
    waited for it use its result instead of fetching again."""

    issuer: str
    refresh_interval: float = 10.0
    fetch_timeout: float = FETCH_TIMEOUT
    jwks_uri: str | None = None
    keys: dict[str | None, dict[str, Any]] = field(default_factory=dict)  # usable JWKs (checked once)
    fetched_at: float = float("-inf")  # the last successful fetch
    attempted_at: float = float("-inf")  # the last fetch, failed or not
    failed: bool = False  # whether the last fetch failed
    attempts: int = 0
    fetches: int = 0
    _bound: dict[tuple[str | None, str], jwt.PyJWK] = field(default_factory=dict)
    _lock: anyio.Lock | None = None

    async def key(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        """The key `kid` bound to `alg`, None when the issuer has no such key (or it cannot verify
        `alg`); TokenRefused(503) when its keys cannot be had."""
        if self._lock is None:
            self._lock = anyio.Lock()  # made on first use, in the process (worker) that serves
        found = self._find(kid)
        if found is None or self._stale():
            if found is not None and self._lock.locked():
                pass  # another request is fetching: the key held serves meanwhile
            elif self._due(kid):
                await self._refresh(kid)
                found = self._find(kid)
            elif self.failed and not self.keys:
                raise unavailable()
        if found is None:
            return None
        return self._bind(kid, found, alg)

    def _stale(self) -> bool:
        return time.monotonic() - self.fetched_at > JWKS_MAX_AGE

    def _due(self, kid: str | None) -> bool:
        """Whether a request for `kid` should fetch now: keys missing or over their hour, and no
        fetch in the last `refresh_interval` (after a failure, at least 1 s) unless for old keys."""
        if self._find(kid) is not None and not self._stale():
            return False
        if self.failed:
            pause = max(self.refresh_interval, 1.0)
        elif self._stale():
            pause = 0.0
        else:
            pause = self.refresh_interval  # a key id we do not hold: rotated keys, or a made-up one
        return time.monotonic() - self.attempted_at >= pause

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    def _bind(self, kid: str | None, jwk: dict[str, Any], alg: str) -> jwt.PyJWK | None:
        """The JWK as a key for `alg`: its own `alg` must be that one; a JWK without `alg` takes
        the token's when it fits the key type (never an HMAC one: ALGORITHMS has none)."""
        if jwk.get("alg", alg) != alg or not fits(jwk, alg):
            return None
        bound = self._bound.get((kid, alg))
        if bound is None:
            try:
                bound = self._bound[(kid, alg)] = jwt.PyJWK(jwk, algorithm=alg)
            except KEY_ERRORS:
                return None
        return bound

    async def _refresh(self, kid: str | None) -> None:
        assert self._lock is not None
        async with self._lock:
            if not self._due(kid):  # another request fetched (or failed to) while this one waited: use that
                if self.failed and not self.keys:
                    raise unavailable()
                return
            self.attempts += 1
            try:
                with anyio.fail_after(self.fetch_timeout):
                    async with httpx.AsyncClient(timeout=self.fetch_timeout, follow_redirects=False) as client:
                        if self.jwks_uri is None:
                            self.jwks_uri = await self._discover(client)
                        response = await client.get(self.jwks_uri)
                        response.raise_for_status()
                        keys = usable_keys(response.json())
            except (httpx.HTTPError, ValueError, TimeoutError) as exc:
                self.attempted_at, self.failed = time.monotonic(), True
                log.warning("cannot fetch the signing keys of %s: %s", self.issuer, exc or type(exc).__name__)
                if not self.keys:
                    raise unavailable() from exc
                return  # the issuer is down but its keys are known: keep them, and try again a little later
            self.keys, self._bound = keys, {}
            self.fetched_at = self.attempted_at = time.monotonic()
            self.failed = False
            self.fetches += 1
            log.info("fetched %d signing key(s) of %s from %s", len(self.keys), self.issuer, self.jwks_uri)

    async def _discover(self, client: httpx.AsyncClient) -> str:
        problem = url_problem(self.issuer, need_https=True)
        if problem is not None:
            raise httpx.HTTPError(f"the issuer {self.issuer!r} {problem}")
        for url in discovery_urls(self.issuer):
            response = await client.get(url)
            if response.status_code != 200:
                continue
            metadata = response.json()
            if isinstance(metadata, dict) and metadata.get("issuer") == self.issuer and isinstance(metadata.get("jwks_uri"), str):
                jwks_uri = str(metadata["jwks_uri"])
                problem = url_problem(jwks_uri, need_https=True)
                if problem is not None:
                    raise httpx.HTTPError(f"the jwks_uri of {self.issuer} ({jwks_uri!r}) {problem}")
                return jwks_uri
            log.warning("%s does not describe issuer %s with a jwks_uri", url, self.issuer)
        raise httpx.HTTPError(f"no authorization server metadata for {self.issuer} (tried {', '.join(discovery_urls(self.issuer))})")


KEY_ERRORS = (jwt.PyJWTError, NotImplementedError, TypeError, ValueError, KeyError)


def usable_keys(document: Any) -> dict[str | None, dict[str, Any]]:
    """The signing keys of a JWKS that can verify one of ALGORITHMS, by key id; ValueError when
    the document is not a JWKS (`{"keys": [...]}`). A key that cannot be used is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the JWKS is not an object with a list of keys")
    keys: dict[str | None, dict[str, Any]] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid, kty, alg = entry.get("kid"), entry.get("kty"), entry.get("alg")
        if (kid is not None and not isinstance(kid, str)) or kty not in KEY_TYPES or (alg is not None and alg not in ALGORITHMS):
            log.warning("skipping signing key %r: key type %r, algorithm %r", kid, kty, alg)
            continue
        try:
            jwt.PyJWK(entry)  # a well-formed key (bound to the token's algorithm when used)
        except KEY_ERRORS as exc:
            log.warning("skipping signing key %r: %s", kid, exc)
            continue
        keys[kid] = entry
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
        """The token's claims, or TokenRefused saying why not. The descriptions are fixed texts:
        nothing of the token reaches a header."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is not a JWT") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise TokenRefused(401, "invalid_token", "the token's signing algorithm is not accepted")
        kid = header.get("kid")
        key = await self.jwks.key(kid if isinstance(kid, str) else None, alg)
        if key is None:
            raise TokenRefused(401, "invalid_token", "the token's signing key is not among the authorization server's keys")
        try:
            # iat is checked too (PyJWT does when it is present): one issued in the future is refused
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.settings.resource,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused(401, "invalid_token", "the access token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRefused(401, "invalid_token", f"the access token is not for this resource ({self.settings.resource})") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(401, "invalid_token", "the access token is invalid") from exc
        missing = [s for s in self.settings.scopes if s not in granted_scopes(claims)]
        if missing:
            raise TokenRefused(403, "insufficient_scope", f"the access token lacks the scope {' '.join(missing)}")
        return claims


def _quoted(value: str) -> str:
    """A quoted-string for a header: printable ASCII only."""
    printable = "".join(c if " " <= c <= "~" else "?" for c in value)
    return '"' + printable.replace("\\", "\\\\").replace('"', '\\"') + '"'


METADATA_METHODS = b"GET, HEAD, OPTIONS"


class OAuthGate:
    """ASGI: serves the metadata, lets `/healthz` through, and lets nothing else by without a valid token."""

    def __init__(self, app: ASGIApp, settings: OAuthSettings, verifier: JwtVerifier | None = None) -> None:
        self.app = app
        self.settings = settings
        self.verifier = verifier or JwtVerifier(settings)
        # exactly the path the challenge names (RFC 9728 §3.1), and the bare well-known path
        self.metadata_paths = {WELL_KNOWN, urlsplit(settings.metadata_url).path}
        self.metadata_body = json.dumps(settings.metadata(), separators=(",", ":")).encode()
        self.challenge = f"resource_metadata={_quoted(settings.metadata_url)}"
        if settings.scopes:
            self.challenge += f", scope={_quoted(' '.join(settings.scopes))}"
        self.retry_after = str(max(1, round(settings.refresh_interval))).encode()

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
        method = scope.get("method")
        cors = [(b"access-control-allow-origin", b"*")]
        if method == "OPTIONS":  # a browser's preflight (the MCP-Protocol-Version header triggers one)
            headers = [*cors, (b"access-control-allow-methods", METADATA_METHODS), (b"access-control-allow-headers", b"*"),
                       (b"access-control-max-age", b"86400"), (b"allow", METADATA_METHODS)]
            await _send(send, 204, b"", headers)
            return
        if method not in ("GET", "HEAD"):
            await _send(send, 405, b"", [*cors, (b"allow", METADATA_METHODS)])
            return
        headers = [(b"content-type", b"application/json"), *cors, (b"cache-control", b"max-age=3600")]
        await _send(send, 200, self.metadata_body, headers, head=method == "HEAD")

    async def _refuse(self, send: Send, status: int, error: str | None, description: str) -> None:
        challenge = self.challenge
        headers = [(b"content-type", b"application/json")]
        if status == 503:
            # not a token problem: no RFC 6750 error code, a plain challenge, and when to come back
            headers.append((b"retry-after", self.retry_after))
        elif error is not None:
            challenge = f"error={_quoted(error)}, error_description={_quoted(description)}, {challenge}"
        body = json.dumps({"error": error or "unauthorized", "error_description": description}).encode()
        headers.append((b"www-authenticate", f"Bearer {challenge}".encode("ascii")))
        await _send(send, status, body, headers)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], *, head: bool = False) -> None:
    if status != 204:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
