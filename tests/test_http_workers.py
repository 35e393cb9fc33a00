"""`serve --http --workers N`: several processes on one port, each answering, all stopping cleanly."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from live_server import REPO, free_port, live_server

HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def _call(url: str, number: int) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
            "params": {"name": "search_transcript", "arguments": {"query": ["Apps SDK", "에이전트 빌더", "evals"][number % 3], "limit": 3}}}
    return httpx.post(url, content=json.dumps(body), headers=HEADERS, timeout=60)


def _send_raw(port: int, number: int) -> socket.socket:
    body = json.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call",
                       "params": {"name": "search_transcript", "arguments": {"query": "agents", "limit": 2}}}).encode()
    head = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json, text/event-stream\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(head.encode() + body)
    return connection


def _read_raw(connection: socket.socket) -> bytes:
    answer = b""
    with connection:
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _workers(parent: int) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{parent}\n" in status:
                found.append(int(pid))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_workers_answer_and_stop_with_their_requests_done(index_path: Path, tmp_path: Path) -> None:
    with live_server(index_path, tmp_path, extra=("--workers", "2")) as server:
        assert len(_workers(server.process.pid)) == 2
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: _call(server.url, n), range(40)))
        assert all(a.status_code == 200 and not a.json()["result"]["isError"] for a in answers)
        assert httpx.get(f"{server.base}/healthz", timeout=5).json()["status"] == "ok"
        # requests sent before a SIGTERM are all answered (16 connections, each with its request written)
        connections = [_send_raw(server.port, 100 + n) for n in range(16)]
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        finished = [_read_raw(c) for c in connections]
        assert all(f.startswith(b"HTTP/1.1 200") and b'"isError":false' in f for f in finished), finished[:1]
        assert server.process.wait(timeout=20) == 0
    log = server.stderr()
    assert "serving with 2 worker processes" in log and log.count("SIGTERM received: stopped") == 2
    assert "Traceback" not in log


def test_bad_worker_counts_and_a_taken_port_are_clear_errors(index_path: Path) -> None:
    env = {**os.environ, "PODCAST_CORPUS_INDEX": str(index_path)}
    command = [sys.executable, "-m", "mcp_server", "serve", "--http"]
    bad = subprocess.run([*command, "--workers", "0"], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert bad.returncode == 2 and "--workers takes a positive number or 'auto', not '0'" in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([*command, "--workers", "2", "--port", str(port)], capture_output=True, text=True, cwd=REPO, env=env,
                              timeout=60)
    assert busy.returncode == 1 and f"cannot serve on 127.0.0.1:{port}" in busy.stderr and "Traceback" not in busy.stderr


def test_worker_sockets_say_tcp_so_asyncio_turns_nagle_off() -> None:
    """asyncio sets TCP_NODELAY on accepted connections only when the listening socket's proto is TCP:
    with proto 0, Nagle's algorithm met delayed ACKs and every worker stalled 40 ms a request."""
    from mcp_server.http_workers import reuse_port_sockets

    sockets = reuse_port_sockets("127.0.0.1", free_port(), 2)
    try:
        assert [s.proto for s in sockets] == [socket.IPPROTO_TCP] * 2
        client = socket.create_connection(sockets[0].getsockname(), timeout=5)
        # SO_REUSEPORT hands the connection to either socket: accept it where it landed
        ready, _, _ = select.select(sockets, [], [], 5)
        assert ready, "the connection reached neither listening socket"
        accepted, _ = ready[0].accept()
        with client, accepted:
            assert accepted.proto == socket.IPPROTO_TCP
    finally:
        for sock in sockets:
            sock.close()
