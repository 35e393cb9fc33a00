"""bench/http_load.py in quick mode: concurrent clients against a real `serve --http`, no errors.

Behaviour, not timing: every call of the mix (English and Korean searches, speaker turns,
passages, launches) succeeds under concurrency, the server exits 0 on SIGTERM afterwards, and
the load generator really counts what goes wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.http_load import TOOLS, classify  # noqa: E402


@pytest.mark.slow
def test_concurrent_clients_get_no_errors() -> None:
    command = [sys.executable, str(REPO / "bench" / "http_load.py"), "--clients", "4", "--seconds", "3"]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["errors"] == 0 and report["error_kinds"] == {}, report["error_samples"]
    assert report["calls"] > 0 and report["clients"] == 4
    assert all(report["per_tool"][tool]["calls"] > 0 for tool in TOOLS), report["per_tool"]
    assert report["server_exit_code"] == 0 and report["server_tracebacks"] == 0
    assert report["server_rss_mib"]["end"] > 0
    assert "calls in" in run.stderr and "0 errors" in run.stderr


def test_the_load_generator_counts_every_kind_of_failure() -> None:
    good = {"jsonrpc": "2.0", "id": 1, "result": {"content": [], "structuredContent": {"hits": []}, "isError": False}}
    assert classify(200, json.dumps(good).encode()) is None
    assert classify(500, b"Internal Server Error") == "http 500"
    assert classify(200, b"<html>") == "not json"
    assert classify(200, b"[]") == "not a json-rpc response"
    assert classify(200, json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "x"}}).encode()) == "json-rpc -32602"
    tool_error = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": "unknown turn"}], "isError": True}}
    assert classify(200, json.dumps(tool_error).encode()) == "tool error"
    assert classify(200, json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"content": []}}).encode()) == "no structured content"
