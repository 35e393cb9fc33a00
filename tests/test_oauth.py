"""`serve --http --auth-issuer`: an OAuth protected resource, against a test authorization server on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import jwt
import pytest
from auth_server import AuthServer, auth_server, new_key, public_jwk
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from live_server import LiveServer, live_server
from starlette.types import Receive, Scope, Send

from mcp_server.cli import SERVE_DIR_ENV, _oauth_settings, build_parser, main
from mcp_server.oauth import OAuthGate, OAuthSettings, default_resource, granted_scopes, url_problem

SCOPE = "corpus:read"
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
SEARCH = {
    "jsonrpc": "2.0", "id": 2, "method": "tools/call",
    "params": {"name": "search_transcript", "arguments": {"query": "AgentKit", "limit": 1}},
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[AuthServer]:
    with auth_server() as running:
        yield running


@pytest.fixture(scope="module")
def server(index_path: Path, tmp_path_factory: pytest.TempPathFactory, issuer: AuthServer) -> Iterator[LiveServer]:
    extra = ("--auth-issuer", issuer.issuer, "--auth-scope", SCOPE)
    with live_server(index_path, tmp_path_factory.mktemp("oauth"), extra=extra) as running:
        yield running


def post(server: LiveServer, body: object, token: str | None) -> httpx.Response:
    headers = {**HEADERS, **({"authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(server.url, content=json.dumps(body), headers=headers, timeout=10)


def metadata_url(server: LiveServer) -> str:
    return f"{server.base}/.well-known/oauth-protected-resource/mcp"


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])
def test_protected_resource_metadata_is_exact(server: LiveServer, issuer: AuthServer, path: str) -> None:
    response = httpx.get(f"{server.base}{path}", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "resource": server.url,
        "authorization_servers": [issuer.issuer],  # the issuer exactly as configured: no slash added
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "podcast-corpus-mcp",
    }


def test_without_a_token_the_challenge_names_the_metadata_and_scope(server: LiveServer) -> None:
    response = post(server, INITIALIZE, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{metadata_url(server)}", scope="{SCOPE}"'
    assert response.json()["error"] == "unauthorized"


def test_a_valid_token_is_accepted(server: LiveServer, issuer: AuthServer) -> None:
    token = issuer.token(server.url)
    assert post(server, INITIALIZE, token).status_code == 200
    answer = post(server, SEARCH, token)
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["isError"] is False
    assert result["structuredContent"]["hits"][0]["episode_id"] == "latent-space-devday-2025"


def test_an_audience_list_naming_the_resource_is_accepted(server: LiveServer, issuer: AuthServer) -> None:
    assert post(server, INITIALIZE, issuer.token(["https://other.example/mcp", server.url])).status_code == 200


def test_healthz_needs_no_token(server: LiveServer) -> None:
    assert httpx.get(f"{server.base}/healthz", timeout=5).json()["status"] == "ok"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(header: dict[str, object], claims: dict[str, object], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _claims(issuer: AuthServer, audience: str) -> dict[str, object]:
    now = int(time.time())
    return {"iss": issuer.issuer, "aud": audience, "iat": now, "exp": now + 300, "scope": SCOPE}


def _hs256_with_the_public_key(issuer: AuthServer, audience: str) -> str:
    """Algorithm confusion: HMAC keyed with the issuer's real public key (PEM), which anyone can
    have. PyJWT will not sign it, so it is made by hand. Must never verify."""
    pem = issuer.keys[issuer.kid].public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    return _hand_made(header, _claims(issuer, audience), lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def _unsigned(issuer: AuthServer, audience: str) -> str:
    return _hand_made({"alg": "none", "typ": "JWT", "kid": issuer.kid}, _claims(issuer, audience), lambda data: b"")


REFUSED: dict[str, Callable[[AuthServer, str], str]] = {
    "expired": lambda a, aud: a.token(aud, expires_in=-3600),
    "wrong audience": lambda a, aud: a.token("https://other.example/mcp"),
    "audience of another path": lambda a, aud: a.token(aud.replace("/mcp", "/other")),
    "wrong issuer": lambda a, aud: a.token(aud, issuer="https://evil.example"),
    "wrong signature": lambda a, aud: a.token(aud, key=new_key()),
    "unknown kid": lambda a, aud: a.token(aud, kid="no-such-key"),
    "hs256 keyed with the public key": _hs256_with_the_public_key,
    "alg none, unsigned": _unsigned,
    "audience with a trailing slash": lambda a, aud: a.token(aud + "/"),
    "nbf in the future": lambda a, aud: a.token(aud, nbf=int(time.time()) + 3600),
    # PyJWT checks iat whenever a token has one (verify_iat is on by default): one from the future is refused
    "iat in the future": lambda a, aud: a.token(aud, iat=int(time.time()) + 3600),
    "audience list without the resource": lambda a, aud: a.token(["https://other.example/mcp", aud + "/x"]),
    "not a jwt": lambda a, aud: "opaque-token",
    "no exp": lambda a, aud: jwt.encode({"iss": a.issuer, "aud": aud, "scope": SCOPE}, a.keys[a.kid], algorithm="RS256",
                                        headers={"kid": a.kid}),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_tokens_are_refused_with_invalid_token(server: LiveServer, issuer: AuthServer, case: str) -> None:
    response = post(server, INITIALIZE, REFUSED[case](issuer, server.url))
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert challenge.endswith(f', resource_metadata="{metadata_url(server)}", scope="{SCOPE}"')
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("scope", [None, "corpus:write", "profile"])
def test_a_token_without_the_scope_gets_403_insufficient_scope(server: LiveServer, issuer: AuthServer, scope: str | None) -> None:
    response = post(server, SEARCH, issuer.token(server.url, scope=scope))
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope", ')
    assert f'scope="{SCOPE}"' in challenge and f'resource_metadata="{metadata_url(server)}"' in challenge


def test_scopes_come_from_scope_or_scp() -> None:
    assert granted_scopes({"scope": "a b"}) == {"a", "b"}
    assert granted_scopes({"scp": ["a", "c"]}) == {"a", "c"}
    assert granted_scopes({"scope": 3}) == set()


# The gate in-process, around an app that says 200: key rotation and the JWKS fetch budget.

async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


RESOURCE = "http://testserver/mcp"


def gate_client(issuer: AuthServer, refresh_interval: float) -> httpx.AsyncClient:
    settings = OAuthSettings(issuer=issuer.issuer, resource=RESOURCE, scopes=(SCOPE,), refresh_interval=refresh_interval)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=OAuthGate(ok_app, settings)), base_url="http://testserver")


@pytest.mark.anyio
async def test_rotated_keys_are_fetched_again() -> None:
    with auth_server() as issuer:
        async with gate_client(issuer, refresh_interval=0) as client:
            first = issuer.token(RESOURCE)
            assert (await client.post("/mcp", headers={"authorization": f"Bearer {first}"})).status_code == 200
            assert (await client.post("/mcp", headers={"authorization": f"Bearer {first}"})).status_code == 200
            assert issuer.jwks_fetches == 1  # kept, not fetched per request
            issuer.rotate()
            second = issuer.token(RESOURCE)
            assert (await client.post("/mcp", headers={"authorization": f"Bearer {second}"})).status_code == 200
            assert issuer.jwks_fetches == 2
            # the old key is gone from the JWKS, so its tokens no longer verify
            assert (await client.post("/mcp", headers={"authorization": f"Bearer {first}"})).status_code == 401


@pytest.mark.anyio
async def test_unknown_key_ids_cannot_make_it_fetch_on_every_request() -> None:
    with auth_server() as issuer:
        async with gate_client(issuer, refresh_interval=60) as client:
            assert (await client.post("/mcp", headers={"authorization": f"Bearer {issuer.token(RESOURCE)}"})).status_code == 200
            for n in range(5):
                made_up = issuer.token(RESOURCE, kid=f"made-up-{n}")
                assert (await client.post("/mcp", headers={"authorization": f"Bearer {made_up}"})).status_code == 401
            assert issuer.jwks_fetches == 1


@pytest.mark.anyio
async def test_an_unreachable_issuer_is_503_not_a_crash() -> None:
    with auth_server() as issuer:
        token = issuer.token(RESOURCE)
        dead = issuer.issuer
    settings = OAuthSettings(issuer=dead, resource=RESOURCE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=OAuthGate(ok_app, settings)), base_url="http://testserver") as client:
        response = await client.post("/mcp", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["retry-after"] == "10"
    # not a token problem: a plain challenge, no RFC 6750 error code
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{settings.metadata_url}"'


@pytest.mark.parametrize("argv", [
    ["serve", "--auth-issuer", "https://issuer.example"],  # stdio: no HTTP to protect
    ["serve", "--http", "--auth-issuer", "issuer.example"],  # not a URL
    ["serve", "--http", "--auth-scope", "corpus:read"],  # a scope without an issuer
    ["serve", "--http", "--auth-issuer", "https://"],  # no host
    ["serve", "--http", "--auth-issuer", "http://issuer.example"],  # plain http off loopback
    ["serve", "--http", "--auth-issuer", "https://issuer.example", "--auth-audience", "https://:x/mcp"],  # a bad port
])
def test_cli_refuses_oauth_options_that_cannot_work(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "ERROR", *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_cli_refuses_a_static_token_and_oauth_together(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PODCAST_CORPUS_TOKEN", "x")
    assert main(["--log-level", "ERROR", "serve", "--http", "--auth-issuer", "https://issuer.example"]) == 2
    assert "choose one" in capsys.readouterr().err


@pytest.mark.anyio
async def test_known_keys_outlive_an_issuer_that_went_down() -> None:
    with auth_server() as issuer:
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE, refresh_interval=60))
        token = issuer.token(RESOURCE)
        assert await status(gate, token) == 200
    gate.verifier.jwks.fetched_at -= 2 * 3600  # the issuer has stopped, and the keys are older than their hour
    assert await status(gate, token) == 200
    assert await status(gate, token) == 200  # and the next request does not wait for the dead issuer again


async def status(gate: OAuthGate, token: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://testserver") as client:
        return (await client.post("/mcp", headers={"authorization": f"Bearer {token}"})).status_code


def test_the_default_resource_is_the_public_name_else_the_bound_address() -> None:
    assert default_resource("0.0.0.0", 8000, ["corpus.example.com", "other.example"]) == "https://corpus.example.com/mcp"
    assert default_resource("127.0.0.1", 8123, []) == "http://127.0.0.1:8123/mcp"
    assert default_resource("::1", 8123, []) == "http://[::1]:8123/mcp"


def test_plain_http_is_for_loopback_only() -> None:
    for url in ("http://127.0.0.1:9000", "http://127.3.4.5/x", "http://[::1]:9000", "http://localhost:9000", "https://issuer.example"):
        assert url_problem(url, need_https=True) is None, url
    for url in ("http://issuer.example", "http://10.0.0.1", "http://[::2]", "https://", "ftp://issuer.example", "issuer.example"):
        assert url_problem(url, need_https=True) is not None, url
    assert url_problem("http://corpus.example/mcp", need_https=False) is None


@pytest.mark.anyio
async def test_a_jwks_uri_in_plain_http_off_loopback_is_not_fetched(caplog: pytest.LogCaptureFixture) -> None:
    with auth_server() as issuer:
        issuer.jwks_uri = "http://keys.example/jwks.json"
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        with caplog.at_level(logging.WARNING, logger="mcp_server.oauth"):
            assert await status(gate, issuer.token(RESOURCE)) == 503
    assert "http://keys.example/jwks.json') must use https" in caplog.text


def test_a_default_resource_on_a_wildcard_address_warns(caplog: pytest.LogCaptureFixture) -> None:
    args = build_parser().parse_args(["serve", "--http", "--host", "0.0.0.0", "--auth-issuer", "https://issuer.example"])
    with caplog.at_level(logging.WARNING, logger="mcp_server.oauth"):
        settings = _oauth_settings(args)
    assert isinstance(settings, OAuthSettings) and settings.resource == "http://0.0.0.0:8000/mcp"
    assert "--auth-audience" in caplog.text


async def at_once(gate: OAuthGate, tokens: list[str]) -> list[int]:
    """The statuses of requests sent all at once."""
    statuses: list[int] = [0] * len(tokens)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://testserver") as client:

        async def one(n: int) -> None:
            statuses[n] = (await client.post("/mcp", headers={"authorization": f"Bearer {tokens[n]}"})).status_code

        async with anyio.create_task_group() as group:
            for n in range(len(tokens)):
                group.start_soon(one, n)
    return statuses


@pytest.mark.anyio
async def test_a_failing_issuer_is_asked_once_for_many_made_up_key_ids() -> None:
    with auth_server() as issuer:
        issuer.jwks_mode = "error"
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE, refresh_interval=60))
        assert await at_once(gate, [issuer.token(RESOURCE, kid=f"made-up-{n}") for n in range(20)]) == [503] * 20
        assert await at_once(gate, [issuer.token(RESOURCE, kid=f"more-{n}") for n in range(5)]) == [503] * 5
        assert issuer.jwks_fetches == 1


@pytest.mark.anyio
async def test_a_trickling_issuer_holds_no_request_past_the_fetch_timeout() -> None:
    with auth_server() as issuer:
        issuer.jwks_mode = "trickle"  # each read is quick; the response never ends
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE, refresh_interval=60))
        gate.verifier.jwks.fetch_timeout = 1.0
        started = time.monotonic()
        assert await at_once(gate, [issuer.token(RESOURCE) for _ in range(5)]) == [503] * 5
        assert time.monotonic() - started < 3  # one bounded fetch, not five in a row
        assert issuer.jwks_fetches == 1


@pytest.mark.anyio
async def test_old_keys_serve_at_once_while_a_hanging_issuer_is_asked_once() -> None:
    with auth_server() as issuer:
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE, refresh_interval=60))
        gate.verifier.jwks.fetch_timeout = 1.0
        token = issuer.token(RESOURCE)
        assert await status(gate, token) == 200
        issuer.jwks_mode = "trickle"
        gate.verifier.jwks.fetched_at -= 2 * 3600  # the keys are over their hour
        jwks = gate.verifier.jwks
        results: list[int] = []

        async def fetching() -> None:
            results.append(await status(gate, token))

        async with anyio.create_task_group() as group:
            group.start_soon(fetching)  # this request finds the keys stale and fetches
            with anyio.fail_after(5):
                while jwks._lock is None or not jwks._lock.locked():
                    await anyio.sleep(0.01)
            started = time.monotonic()
            assert await status(gate, token) == 200  # meanwhile: the old key, at once, not after the fetch
            assert time.monotonic() - started < 0.5
        assert results == [200]  # the fetcher too, once its fetch failed
        started = time.monotonic()
        assert await at_once(gate, [token] * 8) == [200] * 8  # right after the failure: the old keys, no fetch
        assert time.monotonic() - started < 1
        assert issuer.jwks_fetches == 2


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, object]:
    jwk: dict[str, object] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


@pytest.mark.anyio
@pytest.mark.parametrize(("jwks", "answer"), [
    ('{"keys": 5}', 503), ('{"keys": null}', 503), ("null", 503), ("[]", 503), ('{"keys": "x"}', 503),
    ('{"keys": [{"kty": "RSA", "alg": "none", "kid": "key-1"}]}', 401),
    ('{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "key-1"}]}', 401),
    ('{"keys": [{"kty": "RSA", "kid": "key-1"}]}', 401),
    ('{"keys": [{"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA", "kid": "key-1"}]}', 401),
    ('{"keys": [{"kty": "RSA", "kid": 7}, 5, null, "x"]}', 401),
    ('{"keys": []}', 401),
])
async def test_a_bad_jwks_refuses_tokens_and_never_crashes(jwks: str, answer: int) -> None:
    with auth_server() as issuer:
        issuer.jwks_text = jwks
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        assert await status(gate, issuer.token(RESOURCE)) == answer


@pytest.mark.anyio
async def test_one_bad_key_does_not_spoil_the_others() -> None:
    with auth_server() as issuer:
        good = public_jwk(issuer.keys[issuer.kid], issuer.kid)
        issuer.jwks_text = json.dumps({"keys": [{"kty": "RSA", "alg": "none", "kid": "bad"}, {"kty": "oct", "k": "c2VjcmV0"}, good]})
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        assert await status(gate, issuer.token(RESOURCE)) == 200


@pytest.mark.anyio
async def test_a_key_without_alg_verifies_the_rsa_algorithms_the_token_names() -> None:
    with auth_server() as issuer:
        issuer.key_alg = None
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        for algorithm in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
            assert await status(gate, issuer.token(RESOURCE, algorithm=algorithm)) == 200, algorithm
        # never HMAC, even with no alg on the key to say otherwise
        assert await status(gate, _hs256_with_the_public_key(issuer, RESOURCE)) == 401
        issuer.key_alg = "RS256"
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        assert await status(gate, issuer.token(RESOURCE, algorithm="PS256")) == 401  # the key says RS256


@pytest.mark.anyio
async def test_an_ec_key_without_alg_verifies_only_the_algorithm_of_its_curve() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with auth_server() as issuer:
        issuer.jwks_text = json.dumps({"keys": [ec_jwk(key, "ec-1")]})
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        claims = _claims(issuer, RESOURCE)
        assert await status(gate, jwt.encode(claims, key, algorithm="ES256", headers={"kid": "ec-1"})) == 200
        forged = _hand_made({"alg": "ES384", "kid": "ec-1"}, claims, lambda data: b"x" * 96)
        assert await status(gate, forged) == 401


@pytest.mark.anyio
async def test_a_trailing_slash_resource_serves_the_metadata_its_challenge_names() -> None:
    with auth_server() as issuer:
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource="https://h.example/mcp/"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://testserver") as client:
            challenge = (await client.post("/mcp/")).headers["www-authenticate"]
            named = challenge.split('resource_metadata="')[1].split('"')[0]
            assert named == "https://h.example/.well-known/oauth-protected-resource/mcp/"
            assert (await client.get(urlsplit(named).path)).json()["resource"] == "https://h.example/mcp/"
            assert (await client.get("/.well-known/oauth-protected-resource")).status_code == 200


@pytest.mark.anyio
async def test_the_metadata_answers_a_preflight_and_head() -> None:
    with auth_server() as issuer:
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://testserver") as client:
            path = "/.well-known/oauth-protected-resource/mcp"
            preflight = await client.options(path, headers={"origin": "https://app.example", "access-control-request-method": "GET",
                                                            "access-control-request-headers": "mcp-protocol-version"})
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == "*"
            assert preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
            assert preflight.headers["access-control-allow-headers"] == "*"
            head = await client.head(path)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["access-control-allow-origin"] == "*"
            assert int(head.headers["content-length"]) == len((await client.get(path)).content)
            assert (await client.post(path)).status_code == 405


@pytest.mark.anyio
async def test_nothing_of_the_token_reaches_the_challenge() -> None:
    with auth_server() as issuer:
        gate = OAuthGate(ok_app, OAuthSettings(issuer=issuer.issuer, resource=RESOURCE))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://testserver") as client:
            for header in ({"alg": "\u00ffvil\r\nx", "kid": issuer.kid}, {"alg": "RS256", "kid": issuer.kid, "crit": ["\u00ff"]}):
                token = _hand_made(header, _claims(issuer, RESOURCE), lambda data: b"sig")
                response = await client.post("/mcp", headers={"authorization": f"Bearer {token}"})
                assert response.status_code == 401
                raw = dict(response.headers.raw)[b"www-authenticate"]
                assert raw.isascii() and b"vil" not in raw and b"\r" not in raw


def test_serve_refuses_a_corpus_folder_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nonexistent"
    assert main(["--log-level", "ERROR", "serve", "--corpus", str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"error: the corpus folder {missing} does not exist (--corpus")
    monkeypatch.setenv(SERVE_DIR_ENV, str(missing))
    assert main(["--log-level", "ERROR", "serve"]) == 2
    assert capsys.readouterr().err.startswith(f"error: the corpus folder {missing} does not exist (${SERVE_DIR_ENV}")
