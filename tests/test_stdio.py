"""The real server over stdio: `python -m mcp_server` in a subprocess.

The SDK client drives it through every tool (it fails on anything on stdout that is
not protocol); a raw run checks every stdout line is a JSON-RPC message while the
logs go to stderr; SIGTERM and SIGINT stop it promptly with status 0 and no traceback.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import TextContent

EPISODE = "latent-space-devday-2025"
REPO = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "mcp_server", "--log-level", "INFO", "serve"]

GOOD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_transcript", {"query": "Apps SDK", "limit": 3}),
    ("search_transcript", {"query": "에이전트 빌더", "language": "ko", "limit": 3}),
    ("get_speaker_turns", {"speaker": "셔윈", "limit": 3}),
    ("get_turn", {"turn_id": f"{EPISODE}:10", "before": 1, "after": 1, "language": "ko"}),
    ("list_launches", {"query": "sora"}),
    ("list_speakers", {}),
    ("list_episodes", {"limit": 1}),
    ("search", {"query": "agent kit"}),
    ("fetch", {"id": f"{EPISODE}:10"}),
]
BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_transcript", {"query": 'NEAR( " NOT', "cursor": "forged"}),
    ("get_speaker_turns", {"speaker": "nobody at all"}),
    ("get_turn", {"turn_id": f"{EPISODE}:99999999999999999999"}),
    ("list_launches", {"episode": "../../etc/passwd"}),
    ("list_speakers", {"episode": "\x00"}),
    ("list_episodes", {"limit": -1}),
    ("search", {"query": ""}),
    ("fetch", {"id": "nope"}),
]


def test_every_tool_over_stdio(index_path: Path, tmp_path: Path) -> None:
    params = StdioServerParameters(command=SERVER[0], args=[*SERVER[1:], "--index", str(index_path)], cwd=str(REPO))
    stderr_path = tmp_path / "stderr.log"

    async def run(errlog: IO[str]) -> None:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            tools = await client.list_tools()
            names = {t.name for t in tools.tools}
            assert {name for name, _ in GOOD_CALLS} == names, "every tool is exercised here"
            for name, args in GOOD_CALLS:
                result = await client.call_tool(name, args)
                assert not result.is_error, (name, result.content)
                assert result.structured_content
            for name, args in BAD_CALLS:
                result = await client.call_tool(name, args)
                assert result.is_error, name
                assert isinstance(result.content[0], TextContent)
                message = result.content[0].text
                assert message.strip() != f"Error executing tool {name}" and "Traceback" not in message, message

    with stderr_path.open("w", encoding="utf-8") as errlog:
        anyio.run(run, errlog)
    assert "Traceback" not in stderr_path.read_text(encoding="utf-8")


def _rpc(number: int, method: str, params: dict[str, Any]) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}) + "\n").encode()


HANDSHAKE = [
    _rpc(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}),
    b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n',
]


def test_stdout_carries_only_protocol_and_logs_go_to_stderr(tmp_path: Path) -> None:
    """A fresh index is built on the first call (logged); stdout still holds nothing but JSON-RPC."""
    requests = [*HANDSHAKE, _rpc(2, "tools/list", {})]
    requests += [_rpc(3 + n, "tools/call", {"name": name, "arguments": args}) for n, (name, args) in enumerate(GOOD_CALLS + BAD_CALLS)]
    expected = set(range(1, len(requests)))  # every request answered once (the notification is not)
    messages: list[dict[str, Any]] = []
    with subprocess.Popen(
        [*SERVER, "--index", str(tmp_path / "fresh.sqlite")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    ) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(b"".join(requests))
        process.stdin.flush()
        watchdog = threading.Timer(60, process.kill)  # a hung server fails the test instead of hanging it
        watchdog.start()
        try:
            while {m.get("id") for m in messages} < expected:
                line = process.stdout.readline()
                assert line, "stdout closed early"
                messages.append(json.loads(line))  # every stdout line is a JSON-RPC message
        finally:
            watchdog.cancel()
        process.stdin.close()  # EOF: the server stops by itself
        assert process.wait(timeout=10) == 0
        rest = process.stdout.read()
        stderr = process.stderr.read().decode("utf-8")
    assert not rest.strip(), rest[:300]
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    assert sorted(m["id"] for m in messages) == sorted(expected)
    assert not [m for m in messages if "error" in m], "tool problems are tool results (isError), not protocol errors"
    assert "episodes indexed" in stderr, "the index build is logged to stderr"
    assert "Traceback" not in stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_cleanly(index_path: Path, signum: signal.Signals) -> None:
    with subprocess.Popen(
        [*SERVER, "--index", str(index_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    ) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        for request in [*HANDSHAKE, _rpc(2, "tools/call", {"name": "search_transcript", "arguments": {"query": "agent"}})]:
            process.stdin.write(request)
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1
        assert json.loads(process.stdout.readline())["id"] == 2  # serving, index open
        sent = time.monotonic()
        process.send_signal(signum)
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        elapsed = time.monotonic() - sent
        stderr = process.stderr.read().decode("utf-8")
    assert code == 0, stderr[-2000:]
    assert elapsed < 5, f"took {elapsed:.1f}s to stop"
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-2000:]
    assert f"{signum.name} received" in stderr


# A server with tools that misbehave on purpose, served by our stdio transport. Its stdout is
# block-buffered (PYTHONUNBUFFERED is dropped from its environment): a print that is never
# flushed must still end up on stderr.
NOISY_SERVER = '''
import os, signal, sys, threading
from mcp.server.mcpserver import MCPServer
from mcp_server.stdio import run_stdio

server = MCPServer("noisy")

@server.tool()
def noisy(size: int = 10) -> str:
    """Prints to stdout, runs a child that writes to its stdout and reads stdin, returns `size` characters."""
    print("stray print")
    os.system("echo stray child; cat > /dev/null")
    return "x" * size

@server.tool()
def transport() -> str:
    """Which streams serve: the daemon reader thread, or the event loop alone."""
    return "threads" if any(t.name == "stdin reader" for t in threading.enumerate()) else "loop"

@server.tool()
def die() -> str:
    """Killed outright, with no chance to restore anything."""
    os.kill(os.getpid(), signal.SIGKILL)
    return "unreachable"

sys.exit(run_stdio(server))
'''
NOISY_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def _noisy(
    stdout: IO[bytes] | int = subprocess.PIPE, stderr: IO[bytes] | int = subprocess.PIPE, command: list[str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command or [sys.executable, "-c", NOISY_SERVER], stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, cwd=REPO, env=NOISY_ENV
    )


def _noisy_call(number: int, size: int) -> bytes:
    return _rpc(number, "tools/call", {"name": "noisy", "arguments": {"size": size}})


def _tool(number: int, name: str) -> bytes:
    return _rpc(number, "tools/call", {"name": name, "arguments": {}})


def _answer_text(message: dict[str, Any]) -> str:
    return str(message["result"]["content"][0]["text"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the event-loop transport is Linux's")
def test_pipes_carry_only_protocol_whatever_a_tool_prints(tmp_path: Path) -> None:
    """Over pipes the event loop serves: a tool's unflushed print and a child's output go to
    stderr, a child reading stdin reads nothing, and a 300 KB answer (several pipe buffers) and a
    200 KB request line, read slowly, arrive whole."""
    long_line = _rpc(3, "tools/call", {"name": "noisy", "arguments": {"size": 5, "pad": "y" * 200_000}})
    with _noisy() as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(b"".join([*HANDSHAKE, _noisy_call(2, 300_000), long_line, _noisy_call(4, 3), _tool(5, "transport")]))
        process.stdin.flush()
        time.sleep(1)  # the server meets a full pipe and waits for us
        answers = [json.loads(process.stdout.readline()) for _ in range(5)]
        process.stdin.close()
        assert process.wait(timeout=10) == 0
        rest, stderr = process.stdout.read(), process.stderr.read().decode()
    by_id = {a["id"]: a for a in answers}  # calls run concurrently: answers come in any order
    assert sorted(by_id) == [1, 2, 3, 4, 5]
    assert _answer_text(by_id[2]) == "x" * 300_000
    assert _answer_text(by_id[3]) == "x" * 5  # the long line was read whole (`pad` is ignored)
    assert _answer_text(by_id[4]) == "xxx"
    assert _answer_text(by_id[5]) == "loop"
    assert rest == b""
    assert stderr.count("stray print") == 3 and stderr.count("stray child") == 3


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
@pytest.mark.parametrize("where", ["file", "shared with stderr"])
def test_stdout_that_is_not_our_own_pipe_is_served_by_threads(tmp_path: Path, where: str) -> None:
    """stdout a file, or a pipe stderr writes to too (`2>&1`): the thread-based transport serves,
    nothing is lost, and a child reading stdin reads nothing there either."""
    out_path = tmp_path / "out"
    with out_path.open("wb") as out:
        process = _noisy(stdout=out, stderr=subprocess.DEVNULL) if where == "file" else _noisy(stderr=subprocess.STDOUT)
        with process:
            assert process.stdin is not None
            process.stdin.write(b"".join([*HANDSHAKE, _noisy_call(2, 70_000), _tool(3, "transport")]))
            process.stdin.flush()
            if process.stdout is not None:  # the pipe it shares with stderr: read up to both answers
                seen = 0
                while seen < 2:
                    line = process.stdout.readline()
                    assert line, "stdout closed early"
                    out.write(line)
                    seen += line.startswith(b'{"jsonrpc":"2.0","id":2,') or line.startswith(b'{"jsonrpc":"2.0","id":3,')
            else:
                deadline = time.monotonic() + 20
                while out_path.read_bytes().count(b'"jsonrpc"') < 3 and time.monotonic() < deadline:
                    time.sleep(0.05)
            process.stdin.close()  # EOF once answered: closing first would cancel the calls
            assert process.wait(timeout=20) == 0
    lines = {m["id"]: m for m in (json.loads(x) for x in out_path.read_bytes().splitlines() if x.startswith(b'{"jsonrpc"'))}
    assert sorted(lines) == [1, 2, 3]
    assert _answer_text(lines[2]) == "x" * 70_000
    assert _answer_text(lines[3]) == "threads"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the event-loop transport is Linux's")
def test_a_client_closing_stdout_stops_the_server_cleanly() -> None:
    with _noisy() as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(b"".join(HANDSHAKE))
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1
        process.stdout.close()  # the client stops listening
        process.stdin.write(_noisy_call(2, 300_000))
        process.stdin.flush()
        assert process.wait(timeout=10) == 0
        stderr = process.stderr.read().decode()
    assert "the client closed stdout" in stderr
    assert "Traceback" not in stderr, stderr[-2000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the event-loop transport is Linux's")
def test_a_signal_stops_a_server_waiting_on_a_full_pipe() -> None:
    with _noisy() as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(b"".join([*HANDSHAKE, _noisy_call(2, 1_000_000)]))
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1
        time.sleep(1)  # the megabyte answer fills the pipe: the server waits for us to read
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - sent < 5
        stderr = process.stderr.read().decode()
    assert "SIGTERM received" in stderr and "Traceback" not in stderr, stderr[-2000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the event-loop transport is Linux's")
def test_a_killed_server_leaves_the_pipes_blocking_for_the_next_program() -> None:
    """The non-blocking flag sits on the server's own file descriptions: a program run next on
    the same pipes (`sh -c 'server; next'`) finds them as they were, even after a SIGKILL."""
    check = "import fcntl, os, sys; print('next:', [fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK for fd in (0, 1)], file=sys.stderr)"
    script = f"{shlex.quote(sys.executable)} -c {shlex.quote(NOISY_SERVER)}; {shlex.quote(sys.executable)} -c {shlex.quote(check)}"
    with _noisy(command=["sh", "-c", script]) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(b"".join([*HANDSHAKE, _tool(2, "transport")]))
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1
        assert _answer_text(json.loads(process.stdout.readline())) == "loop"
        process.stdin.write(_tool(3, "die"))
        process.stdin.flush()
        process.stdin.close()
        assert process.wait(timeout=20) == 0  # the exit status of `next`
        stderr = process.stderr.read().decode()
    assert "next: [0, 0]" in stderr, stderr[-2000:]
