"""Every request piped into the stdio server is answered before it exits (issue: lost replies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EPISODE = "latent-space-devday-2025"
REQUESTS = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "pipe", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "search_transcript", "arguments": {"query": "Apps SDK"}}},
    {"jsonrpc": "2.0", "id": "four", "method": "resources/read", "params": {"uri": "corpus://speakers"}},
    {"jsonrpc": "2.0", "id": 5, "method": "prompts/get", "params": {"name": "launch_briefing", "arguments": {}}},
    {"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "get_turn", "arguments": {"turn_id": f"{EPISODE}:5"}}},
    {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
     "params": {"name": "search_transcript", "arguments": {"query": "에이전트 빌더", "mode": "auto"}}},
    {"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "get_speaker_turns", "arguments": {"speaker": "nobody"}}},
    {"jsonrpc": "2.0", "id": 9, "method": "resources/read", "params": {"uri": f"corpus://episodes/{EPISODE}/transcript/ko"}},
]
ANSWERED = [1, 2, 3, "four", 5, 6, 7, 8, 9]


def _run(tmp_path: Path, number: int, piped: bool) -> tuple[int, list[dict[str, object]], str]:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REQUESTS).encode()
    env = {**os.environ, "PODCAST_CORPUS_INDEX": str(tmp_path / f"index-{number}.sqlite")}  # the first call builds it
    command = [sys.executable, "-m", "mcp_server", "--log-level", "WARNING"]
    if piped:  # stdin a pipe (how clients launch servers), closed right after the last request
        done = subprocess.run(command, input=lines, capture_output=True, cwd=REPO, env=env, timeout=120)
    else:  # stdin a file: `podcast-corpus-mcp < requests.jsonl`
        source = tmp_path / "requests.jsonl"
        source.write_bytes(lines)
        with source.open("rb") as handle:
            done = subprocess.run(command, stdin=handle, capture_output=True, cwd=REPO, env=env, timeout=120)
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return done.returncode, replies, done.stderr.decode()


@pytest.mark.slow
@pytest.mark.parametrize("piped", [False, True], ids=["file", "pipe"])
def test_every_request_read_is_answered_before_exit(tmp_path: Path, piped: bool) -> None:
    for number in range(10):  # 20 runs with both parametrizations
        status, replies, errors = _run(tmp_path, number, piped)
        assert status == 0, errors
        assert sorted(map(str, (r["id"] for r in replies))) == sorted(map(str, ANSWERED)), (number, errors)
        by_id = {str(r["id"]): r for r in replies}
        assert "result" in by_id["3"] and by_id["3"]["result"]["structuredContent"]["hits"]  # type: ignore[index]
        assert by_id["8"]["result"]["isError"] is True  # type: ignore[index]
        assert "Traceback" not in errors


UNREADABLE = [  # (line, the id answered, the JSON-RPC code)
    ("this is not json", None, -32700),
    ('{"jsonrpc": "2.0", "id": 10, "method": "tools/list"', None, -32700),  # cut short: no id can be read
    ('{"jsonrpc": "2.0", "id": 11, "method": "ping", "params": {"x": "\\ud800"}}', 11, -32700),  # a lone surrogate
    ('{"jsonrpc": "2.0", "id": 12}', 12, -32600),  # no method
    ('{"jsonrpc": "2.0", "id": "thirteen", "method": 7}', "thirteen", -32600),
    ("[]", None, -32600),  # a batch
]


@pytest.mark.parametrize("piped", [False, True], ids=["file", "pipe"])
def test_unreadable_lines_are_answered_and_the_rest_still_served(tmp_path: Path, piped: bool) -> None:
    ping = {"jsonrpc": "2.0", "id": 99, "method": "ping"}
    malformed_response = '{"jsonrpc": "2.0", "id": 99, "result": 5}'  # the client's: never answered (99 gets one reply)
    lines = [json.dumps(REQUESTS[0]), json.dumps(REQUESTS[1]), *(line for line, _, _ in UNREADABLE), malformed_response, json.dumps(ping)]
    command = [sys.executable, "-m", "mcp_server", "--log-level", "WARNING"]
    env = {**os.environ, "PODCAST_CORPUS_INDEX": str(tmp_path / "index.sqlite")}
    payload = "".join(line + "\n" for line in lines).encode()
    if piped:
        done = subprocess.run(command, input=payload, capture_output=True, cwd=REPO, env=env, timeout=120)
    else:
        source = tmp_path / "requests.jsonl"
        source.write_bytes(payload)
        with source.open("rb") as handle:
            done = subprocess.run(command, stdin=handle, capture_output=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode == 0
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    errors_answered = [r for r in replies if "error" in r]  # the unreadable lines are answered in the order read
    assert [r["id"] for r in errors_answered] == [answered for _, answered, _ in UNREADABLE]
    assert [r["id"] for r in replies if "result" in r] == [1, 99]
    for reply, (line, _, code) in zip(errors_answered, UNREADABLE, strict=True):
        assert reply["error"]["code"] == code, line
        assert '"method"' in reply["error"]["message"] or "batches" in reply["error"]["message"], reply
    assert replies[-1] == {"jsonrpc": "2.0", "id": 99, "result": {}}
    errors = done.stderr.decode()
    assert errors.count("unreadable message on stdin: answered") == len(UNREADABLE) and "Traceback" not in errors
    assert errors.count("unreadable message on stdin (a malformed response?): dropped") == 1
