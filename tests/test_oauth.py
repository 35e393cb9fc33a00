"""`serve --http --auth-issuer`: an OAuth protected resource, against a test authorization server on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from auth_server import AuthServer, auth_server, new_key
from live_server import LiveServer, live_server
from starlette.types import Receive, Scope, Send

from mcp_server.cli import main
from mcp_server.oauth import OAuthGate, OAuthSettings, default_resource, granted_scopes

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


def test_healthz_needs_no_token(server: LiveServer) -> None:
    assert httpx.get(f"{server.base}/healthz", timeout=5).json()["status"] == "ok"


def _hs256_with_the_public_key(issuer: AuthServer, audience: str) -> str:
    """Algorithm confusion: HMAC keyed with something public. Must never verify."""
    now = int(time.time())
    claims = {"iss": issuer.issuer, "aud": audience, "exp": now + 300, "scope": SCOPE}
    return jwt.encode(claims, "public-key-bytes-as-hmac-secret-000000000000", algorithm="HS256", headers={"kid": issuer.kid})


REFUSED: dict[str, Callable[[AuthServer, str], str]] = {
    "expired": lambda a, aud: a.token(aud, expires_in=-3600),
    "wrong audience": lambda a, aud: a.token("https://other.example/mcp"),
    "audience of another path": lambda a, aud: a.token(aud.replace("/mcp", "/other")),
    "wrong issuer": lambda a, aud: a.token(aud, issuer="https://evil.example"),
    "wrong signature": lambda a, aud: a.token(aud, key=new_key()),
    "unknown kid": lambda a, aud: a.token(aud, kid="no-such-key"),
    "hs256": _hs256_with_the_public_key,
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


@pytest.mark.parametrize("argv", [
    ["serve", "--auth-issuer", "https://issuer.example"],  # stdio: no HTTP to protect
    ["serve", "--http", "--auth-issuer", "issuer.example"],  # not a URL
    ["serve", "--http", "--auth-scope", "corpus:read"],  # a scope without an issuer
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
