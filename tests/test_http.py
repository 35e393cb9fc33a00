"""The HTTP transport against a real uvicorn subprocess on a loopback port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import REPO, LiveServer, free_port, live_server
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
SEARCH = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "search_transcript", "arguments": {"query": "에이전트 빌더", "limit": 2}},
}


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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_shuts_down_cleanly(index_path: Path, tmp_path: Path, signum: signal.Signals) -> None:
    """SIGTERM (process managers) and SIGINT (Ctrl-C): exit 0 within seconds, stdout untouched, no traceback.

    With a keep-alive connection still open: uvicorn closes idle connections, it does not wait for them.
    """
    port = free_port()
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    env = {**os.environ, "PODCAST_CORPUS_INDEX": str(index_path)}
    env.pop("PODCAST_CORPUS_TOKEN", None)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server", "serve", "--http", "--port", str(port)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, stderr.read_text()
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, stderr.read_text()
                    time.sleep(0.1)
            answer = client.post("/mcp", content=json.dumps(INITIALIZE), headers=HEADERS)
            assert answer.status_code == 200
            called = client.post("/mcp", content=json.dumps(SEARCH), headers=HEADERS)
            assert called.status_code == 200 and not called.json()["result"]["isError"]
            started = time.monotonic()
            process.send_signal(signum)
            status = process.wait(timeout=15)
            took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = stderr.read_text()
    assert status == 0, log
    assert took < 5, f"took {took:.1f} s to stop"
    assert stdout.read_bytes() == b""
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log
    assert "session manager shutting down" in log.lower()
    assert f"{signum.name} received: stopped" in log


@pytest.mark.slow
def test_an_idle_keep_alive_connection_outlives_the_clients_expiry(server: LiveServer) -> None:
    """httpx drops pooled connections after 5 s idle; the server must not close them first.

    Otherwise a request sent on a connection the server is closing fails (ReadError under load).
    """
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for pause in (0, 6):
            time.sleep(pause)
            connection.request("POST", "/mcp", body=json.dumps(INITIALIZE), headers=HEADERS)
            answer = connection.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["result"]["serverInfo"]["name"] == "podcast-corpus"
    finally:
        connection.close()


def test_non_loopback_without_token_warns(index_path: Path, tmp_path: Path) -> None:
    with live_server(index_path, tmp_path, extra=("--host", "0.0.0.0")) as running:
        # the Host header names loopback, which stays allowed
        assert httpx.get(f"{running.base}/healthz", timeout=5).status_code == 200
    log = running.stderr()
    assert "without a token" in log and "PODCAST_CORPUS_TOKEN" in log
