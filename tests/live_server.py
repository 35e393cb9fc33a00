"""A real `serve --http` subprocess on a free loopback port, for the HTTP and external-client tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def live_server(index_path: Path, log_dir: Path, *, token: str | None = None, extra: tuple[str, ...] = ()) -> Iterator[LiveServer]:
    """Start the server, wait for /healthz, and stop it with SIGTERM (it must exit 0)."""
    port = free_port()
    env = {**os.environ, "PODCAST_CORPUS_INDEX": str(index_path)}
    env.pop("PODCAST_CORPUS_TOKEN", None)
    if token is not None:
        env["PODCAST_CORPUS_TOKEN"] = token
    log = log_dir / f"server-{port}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server", "--log-level", "INFO", "serve", "--http", "--port", str(port), *extra],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
        )
    server = LiveServer(process, port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.stderr()}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /healthz in 30 s:\n{server.stderr()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
