"""HTTP mode logs one concise line per request, and not the SDK's per-request INFO noise."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import live_server
from starlette.types import Receive, Scope, Send

from mcp_server.access_log import PER_REQUEST_SDK_LOGGERS, AccessLog, describe, quiet_sdk

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
SEARCH = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_transcript", "arguments": {"query": "AgentKit"}}}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}


def test_describe_names_the_method_and_the_tool_prompt_or_uri() -> None:
    assert describe(json.dumps(SEARCH).encode()) == "tools/call search_transcript"
    assert describe(b'{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"launch_briefing"}}') == "prompts/get launch_briefing"
    assert describe(b'{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"corpus://speakers"}}') == "resources/read corpus://speakers"
    assert describe(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}') == "tools/list"
    assert describe(b"not json") == "-"
    assert describe(b"[1, 2]") == "-"
    assert describe(b"") == "-"


def test_one_access_line_per_request_and_no_sdk_noise(index_path: Path, tmp_path: Path) -> None:
    with live_server(index_path, tmp_path) as server:
        with httpx.Client(timeout=10) as client:
            assert client.post(server.url, content=json.dumps(INITIALIZE), headers=HEADERS).status_code == 200
            for _ in range(3):
                assert client.post(server.url, content=json.dumps(SEARCH), headers=HEADERS).status_code == 200
            assert client.get(server.url).status_code == 405
        deadline = time.monotonic() + 5  # a line is written once its response is sent: the client may be faster
        while time.monotonic() < deadline and not ("GET /mcp - 405" in server.stderr() and server.stderr().count("tools/call") >= 3):
            time.sleep(0.05)
        log = server.stderr()
    access = [line for line in log.splitlines() if "mcp_server.access" in line]
    assert len(re.findall(r"INFO mcp_server\.access: POST /mcp tools/call search_transcript 200 \d+\.\d ms$", log, re.M)) == 3
    assert re.search(r"POST /mcp initialize 200 \d+\.\d ms$", log, re.M)
    assert re.search(r"GET /mcp - 405 \d+\.\d ms$", log, re.M)
    assert any("GET /healthz - 200" in line for line in access)  # the readiness probe of live_server
    assert "Terminating session" not in log


def test_what_the_client_sent_cannot_forge_log_lines() -> None:
    name = "search_transcript\n2026-01-01 00:00:00 INFO mcp_server.access: POST /mcp tools/call fake 200 1.0 ms"
    described = describe(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name}}).encode())
    assert "\n" not in described and described.startswith("tools/call search_transcript\\n")
    assert len(described) <= len("tools/call ") + 101
    assert describe(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x\u2028\x1by"}).encode()) == "x\\u2028\\x1by"


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.anyio
async def test_a_path_with_control_characters_is_logged_escaped_and_clipped(caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.ASGITransport(app=AccessLog(ok_app))
    with caplog.at_level(logging.INFO, logger="mcp_server.access"):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.post("/mcp%0Afake-line%0D%1B[31m")
            await client.get("/" + "a" * 5000)
    first, second = (record.getMessage() for record in caplog.records if record.name == "mcp_server.access")
    assert first.startswith("POST /mcp\\nfake-line\\r\\x1b[31m - 200 ")
    assert "\n" not in first and "\r" not in first and "\x1b" not in first
    assert len(second) < 300


@pytest.fixture
def sdk_levels() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.level, [logging.getLogger(name).level for name in PER_REQUEST_SDK_LOGGERS]
    yield
    root.setLevel(saved[0])
    for name, level in zip(PER_REQUEST_SDK_LOGGERS, saved[1], strict=True):
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("sdk_levels")
def test_the_sdk_is_quieted_only_at_info_and_above() -> None:
    sdk = logging.getLogger(PER_REQUEST_SDK_LOGGERS[0])
    logging.getLogger().setLevel(logging.DEBUG)
    sdk.setLevel(logging.NOTSET)
    quiet_sdk()
    assert sdk.getEffectiveLevel() == logging.DEBUG  # --log-level DEBUG shows the SDK's lines too
    logging.getLogger().setLevel(logging.INFO)
    quiet_sdk()
    assert sdk.level == logging.WARNING
