"""The MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12) against `serve --http`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from external_tools import NodeTools
from live_server import LiveServer

BASELINE = Path(__file__).with_name("conformance-baseline.yml")
SCENARIOS = [
    "server-initialize",
    "server-session-lifecycle",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "completion-complete",
    "dns-rebinding-protection",
    "caching",
    "sep-2164-resource-not-found",
    "http-header-validation",
    "server-stateless",
]
BASELINED = {"server-stateless": 4, "completion-complete": 1}
PASSED = re.compile(r"Passed: (\d+)/(\d+), (\d+) failed, (\d+) warnings")

pytestmark = pytest.mark.external


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str, node_tools: NodeTools, http_server: LiveServer, node_env: dict[str, str], tmp_path: Path) -> None:
    command = [
        str(node_tools.node), str(node_tools.conformance), "server",
        "--url", http_server.url, "--scenario", scenario, "--expected-failures", str(BASELINE), "-o", str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, env=node_env, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"{scenario} failed (exit {run.returncode}):\n{output[-6000:]}"
    found = PASSED.search(output)
    assert found, output[-3000:]
    passed, total, failed, warnings = map(int, found.groups())
    allowed = BASELINED.get(scenario, 0)
    assert failed + warnings == allowed, output[-6000:]
    assert passed == total - failed  # the suite counts a WARNING among the passed checks
    assert (tmp_path / "checks.json").exists() or list(tmp_path.rglob("checks.json"))
