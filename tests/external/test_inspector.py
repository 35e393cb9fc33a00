"""The MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0) over stdio and over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from external_tools import NodeTools
from live_server import REPO, LiveServer

EPISODE = "latent-space-devday-2025"
pytestmark = pytest.mark.external

CALLS: dict[str, list[str]] = {
    "tools/list": ["--method", "tools/list"],
    "tools/call": ["--method", "tools/call", "--tool-name", "search_transcript", "--tool-arg", "query=AgentKit", "--tool-arg", "limit=3"],
    "resources/read": ["--method", "resources/read", "--uri", f"corpus://episodes/{EPISODE}/turns/56"],
    "prompts/get": ["--method", "prompts/get", "--prompt-name", "bilingual_passage", "--prompt-args", f"turn_id={EPISODE}:56"],
}


def inspect(node_tools: NodeTools, target: list[str], call: list[str], env: dict[str, str]) -> Any:
    command = [str(node_tools.node), str(node_tools.inspector), "--cli", *target, *call, "--format", "json"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    assert run.returncode == 0, f"exit {run.returncode}\nstdout: {run.stdout[-3000:]}\nstderr: {run.stderr[-3000:]}"
    data = json.loads(run.stdout)
    return data.get("result", data)


def check(method: str, result: Any) -> None:
    if method == "tools/list":
        names = {t["name"] for t in result["tools"]}
        assert {"search_transcript", "get_turn", "get_speaker_turns", "list_launches", "search", "fetch"} <= names
        assert all(t["annotations"]["readOnlyHint"] for t in result["tools"])
    elif method == "tools/call":
        assert not result.get("isError")
        assert result["structuredContent"]["hits"] and "AgentKit" in result["content"][0]["text"]
    elif method == "resources/read":
        assert "Sherwin Wu" in result["contents"][0]["text"]
    elif method == "prompts/get":
        assert "KO 셔윈 우" in result["messages"][0]["content"]["text"]


def stdio_target(index_path: Path) -> list[str]:
    return [sys.executable, "-m", "mcp_server", "-e", f"PODCAST_CORPUS_INDEX={index_path}", "--cwd", str(REPO)]


@pytest.mark.parametrize("method", list(CALLS))
def test_stdio(method: str, node_tools: NodeTools, index_path: Path, node_env: dict[str, str]) -> None:
    check(method, inspect(node_tools, stdio_target(index_path), CALLS[method], node_env))


@pytest.mark.parametrize("method", list(CALLS))
def test_http(method: str, node_tools: NodeTools, http_server: LiveServer, node_env: dict[str, str]) -> None:
    check(method, inspect(node_tools, [http_server.url, "--transport", "http"], CALLS[method], node_env))


@pytest.mark.parametrize("method", list(CALLS))
def test_http_modern_era(method: str, node_tools: NodeTools, http_server: LiveServer, node_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"corpus": {"type": "http", "url": http_server.url, "protocolEra": "modern"}}}))
    env = {k: v for k, v in node_env.items() if k != "MCP_CATALOG_PATH"}  # --config excludes a catalog
    check(method, inspect(node_tools, ["--config", str(config), "--server", "corpus"], CALLS[method], env))
