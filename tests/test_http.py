"""The HTTP transport against a real uvicorn subprocess on a loopback port."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import LiveServer, live_server
from mcp import Client
from mcp_types import TextContent, TextResourceContents

EPISODE = "latent-space-devday-2025"
TOKEN = "s3cret-token-for-tests"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server(index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(index_path, tmp_path_factory.mktemp("http")) as running:
        yield running


@pytest.fixture(scope="module")
def guarded(index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(index_path, tmp_path_factory.mktemp("http-token"), token=TOKEN) as running:
        yield running


def post(url: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(url, content=json.dumps(body), headers={**HEADERS, **headers}, timeout=10)


def test_healthz(server: LiveServer) -> None:
    response = httpx.get(f"{server.base}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "server": "podcast-corpus", "version": "0.1.0"}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sdk_client_over_http(server: LiveServer, mode: str) -> None:
    async with Client(server.url, mode=mode) as client:  # type: ignore[arg-type]
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"search_transcript", "get_turn", "search", "fetch"} <= names
        result = await client.call_tool("search_transcript", {"query": "에이전트 빌더", "limit": 3})
        assert not result.is_error and result.structured_content
        assert result.structured_content["hits"]
        read = await client.read_resource(f"corpus://episodes/{EPISODE}/turns/56")
        content = read.contents[0]
        assert isinstance(content, TextResourceContents) and "Sherwin Wu" in content.text
        prompt = await client.get_prompt("bilingual_passage", {"turn_id": f"{EPISODE}:56"})
        message = prompt.messages[0].content
        assert isinstance(message, TextContent) and "KO 셔윈 우" in message.text
        fetched = await client.call_tool("fetch", {"id": f"{EPISODE}:56"})
        assert fetched.structured_content and fetched.structured_content["id"] == f"{EPISODE}:56"


def test_stateless_handshake_has_no_session(server: LiveServer) -> None:
    response = post(server.url, INITIALIZE)
    assert response.status_code == 200
    assert response.json()["result"]["serverInfo"]["name"] == "podcast-corpus"
    assert "mcp-session-id" not in response.headers


def test_foreign_host_header_is_refused(server: LiveServer) -> None:
    response = post(server.url, INITIALIZE, host="evil.example.com")
    assert response.status_code == 421


def test_foreign_origin_is_refused(server: LiveServer) -> None:
    response = post(server.url, INITIALIZE, origin="http://evil.example.com")
    assert response.status_code == 403
    assert post(server.url, INITIALIZE, origin=f"http://localhost:{server.port}").status_code == 200


def test_oversized_body_is_refused(server: LiveServer) -> None:
    body = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * (2 * 1024 * 1024)}}  # type: ignore[dict-item]
    assert post(server.url, body).status_code == 413


def test_bearer_token(guarded: LiveServer) -> None:
    assert post(guarded.url, INITIALIZE).status_code == 401
    refused = post(guarded.url, INITIALIZE, authorization="Bearer wrong")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert post(guarded.url, INITIALIZE, authorization=f"Bearer {TOKEN}").status_code == 200
    assert httpx.get(f"{guarded.base}/healthz", timeout=5).status_code == 200


def test_sigterm_shuts_down_cleanly(index_path: Path, tmp_path: Path) -> None:
    with live_server(index_path, tmp_path) as running:
        assert post(running.url, INITIALIZE).status_code == 200
        running.process.send_signal(signal.SIGTERM)
        # uvicorn finishes the lifespan, then re-raises the signal it caught (exit status -SIGTERM)
        assert running.process.wait(timeout=15) in (0, -signal.SIGTERM)
    log = running.stderr()
    assert "session manager shutting down" in log.lower()
    assert "Traceback" not in log


def test_non_loopback_without_token_warns(index_path: Path, tmp_path: Path) -> None:
    with live_server(index_path, tmp_path, extra=("--host", "0.0.0.0")) as running:
        # the Host header names loopback, which stays allowed
        assert httpx.get(f"{running.base}/healthz", timeout=5).status_code == 200
    log = running.stderr()
    assert "without a token" in log and "PODCAST_CORPUS_TOKEN" in log
