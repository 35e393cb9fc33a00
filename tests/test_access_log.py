"""HTTP mode logs one concise line per request, and not the SDK's per-request INFO noise."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
from live_server import live_server

from mcp_server.access_log import describe

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
        deadline = time.monotonic() + 5
        while "tools/call" not in server.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.stderr()
    access = [line for line in log.splitlines() if "mcp_server.access" in line]
    assert len(re.findall(r"INFO mcp_server\.access: POST /mcp tools/call search_transcript 200 \d+\.\d ms$", log, re.M)) == 3
    assert re.search(r"POST /mcp initialize 200 \d+\.\d ms$", log, re.M)
    assert re.search(r"GET /mcp - 405 \d+\.\d ms$", log, re.M)
    assert any("GET /healthz - 200" in line for line in access)  # the readiness probe of live_server
    assert "Terminating session" not in log
