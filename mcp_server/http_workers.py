"""`serve --http --workers N`: N server processes on one port.

The server is stateless (any process can answer any request), so the parent binds one
listening socket per worker with SO_REUSEPORT (the kernel spreads connections over them),
forks the workers, and only supervises: it forwards SIGTERM/SIGINT to them as SIGTERM (each
finishes its in-flight requests and exits, as a single server does), and when one worker
exits on its own it stops the others (fail fast: the process manager restarts the whole
service). Each worker opens the read-only index once; the parent brings the index up to date
before forking, so the workers do not all build it, and only the first worker computes
missing vectors in the background. Linux and other POSIX systems with SO_REUSEPORT only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import suppress
from types import FrameType

log = logging.getLogger(__name__)


def worker_count(value: str) -> int:
    """`--workers`: a positive number, or `auto` for the number of CPUs."""
    if value == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"--workers takes a positive number or 'auto', not {value!r}")
    return int(value)


def reuse_port_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` listening sockets on host:port with SO_REUSEPORT (bound here, so a taken port fails at once)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("--workers needs SO_REUSEPORT, which this system lacks; run one process per port instead")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
            # without it Nagle's algorithm meets delayed ACKs: 40 ms stalls, 300 requests/s instead of 800
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host.strip("[]"), port))
            sock.listen(2048)
            sock.set_inheritable(True)
            sockets.append(sock)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def supervise(sockets: list[socket.socket], run_worker: Callable[[int, socket.socket], None]) -> int:
    """Fork one worker per socket (`run_worker(number, its socket)`, then the child exits) and wait
    for them all; 0 when they stopped on a signal, 1 when one of them exited on its own."""
    children: dict[int, int] = {}
    stopping = False

    def forward(sig: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            log.info("%s received: stopping %d workers", signal.Signals(sig).name, len(children))
        stopping = True
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for number, sock in enumerate(sockets):
            pid = os.fork()
            if pid == 0:  # the worker
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                status = 0
                try:
                    for other in sockets:
                        if other is not sock:
                            other.close()
                    run_worker(number, sock)
                except BaseException:  # a worker never returns into the supervisor's loop
                    log.exception("worker %d failed", number)
                    status = 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(status)
            children[pid] = number
        for sock in sockets:
            sock.close()  # the workers hold them
        log.info("serving with %d worker processes (pids %s)", len(children), ", ".join(map(str, children)))
        failed = False
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            if pid not in children:
                continue
            number = children.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            if not stopping:
                log.error("worker %d (pid %d) exited with status %d: stopping the others", number, pid, code)
                failed = True
                forward(signal.SIGTERM, None)
        return 1 if failed else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
