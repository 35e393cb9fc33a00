"""Fixtures for the external clients (installed by scripts/install_external.sh into .cache/node/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from external_tools import NodeTools, find_node_tools
from live_server import LiveServer, live_server


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    tools, reason = find_node_tools()
    if tools is None:
        pytest.skip(reason)
    return tools


@pytest.fixture(scope="module")
def http_server(index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(index_path, tmp_path_factory.mktemp("external-http")) as running:
        yield running


@pytest.fixture
def node_env(tmp_path: Path) -> dict[str, str]:
    """Environment for the npm tools: in-memory secrets, a throwaway catalog, no colour codes."""
    return {
        **os.environ,
        "MCP_INSPECTOR_SECRET_STORE": "memory",
        "MCP_CATALOG_PATH": str(tmp_path / "catalog.json"),
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }
