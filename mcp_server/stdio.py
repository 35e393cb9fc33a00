"""Serving over stdio with a graceful shutdown.

SIGTERM (what process managers and MCP hosts send) and SIGINT (Ctrl-C) stop the
server cleanly: the serving task is cancelled, a line is logged to stderr and the
process exits with status 0, with no traceback. The server also stops, as before,
when the client closes stdin.

When stdin and stdout are pipes (how every MCP client launches a server), they are
read and written on the event loop itself: non-blocking descriptors and readiness
waits, no thread. The SDK reads and writes them in AnyIO worker threads, three
thread hand-offs per request, which cost about as much as a small query. Before
serving, descriptors 0 and 1 are pointed at /dev/null and stderr, so a stray
print never reaches the wire; both are restored afterwards.

Anywhere else (a terminal, a file, Windows), stdin is read by a daemon thread of
our own and stdout is left to the SDK: the SDK's reader thread cannot be
abandoned, so a read blocked on a pipe the client keeps open would hold up the
shutdown until the next line.
"""

from __future__ import annotations

import codecs
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from functools import partial

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from anyio.from_thread import run as run_from_thread
from anyio.lowlevel import EventLoopToken, current_token
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class DaemonLineReader(anyio.AsyncFile[str]):
    """Lines from a file descriptor, read by a daemon thread: waiting for one can always be cancelled.

    The thread uses `os.read` on its own duplicate of the descriptor (no buffered file, so
    no lock a dying daemon thread could hold at interpreter shutdown) and splits lines itself.
    """

    def __init__(self, fd: int) -> None:
        self._fd = os.dup(fd)
        super().__init__(open(self._fd, encoding="utf-8", errors="replace", closefd=False))  # noqa: SIM115 - never closed, like the SDK's
        self._lines: ObjectReceiveStream[str] | None = None

    def _start(self) -> ObjectReceiveStream[str]:
        send, receive = anyio.create_memory_object_stream[str](16)
        thread = threading.Thread(target=self._pump, args=(send, current_token()), name="stdin reader", daemon=True)
        thread.start()
        return receive

    def _pump(self, send: ObjectSendStream[str], token: EventLoopToken) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        try:
            while True:
                chunk = os.read(self._fd, 65536)
                pending += decoder.decode(chunk, final=not chunk)
                *lines, pending = pending.split("\n")
                for line in lines:
                    run_from_thread(send.send, line + "\n", token=token)
                if not chunk:
                    if pending:
                        run_from_thread(send.send, pending, token=token)
                    run_from_thread(send.send, "", token=token)
                    return
        except Exception:  # the event loop is gone (shutdown) or stdin broke: stop reading
            return

    async def readline(self) -> str:
        if self._lines is None:
            self._lines = self._start()
        try:
            return await self._lines.receive()
        except anyio.EndOfStream:
            return ""


def _pipe_id(fd: int) -> tuple[int, int] | None:
    """(device, inode) of a pipe or socket descriptor; None for anything else or a closed fd."""
    try:
        found = os.fstat(fd)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISFIFO(found.st_mode) or stat.S_ISSOCK(found.st_mode) else None


def _own_pipes() -> bool:
    """Whether stdin and stdout are pipes that can go non-blocking: stderr must not share stdout's
    pipe (its writes would turn non-blocking too; the protocol would be broken anyway)."""
    out = _pipe_id(1)
    return sys.platform != "win32" and _pipe_id(0) is not None and out is not None and _pipe_id(2) != out


class PipeLineReader(anyio.AsyncFile[str]):
    """Lines from a non-blocking pipe, read on the event loop when it is readable."""

    def __init__(self, fd: int) -> None:
        super().__init__(open(fd, encoding="utf-8", errors="replace", closefd=False))  # noqa: SIM115 - only for AsyncFile's sake
        self._fd = fd
        self._buffer = bytearray()
        self._eof = False

    async def readline(self) -> str:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0 or (self._eof and self._buffer):
                end = end + 1 if end >= 0 else len(self._buffer)
                line = bytes(self._buffer[:end])
                del self._buffer[:end]
                return line.decode("utf-8", errors="replace")  # a newline byte never splits a UTF-8 character
            if self._eof:
                return ""
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                await anyio.wait_readable(self._fd)
                continue
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True


class PipeWriter(anyio.AsyncFile[str]):
    """Writes to a non-blocking pipe on the event loop, waiting while the pipe is full."""

    def __init__(self, fd: int) -> None:
        super().__init__(open(fd, "w", encoding="utf-8", closefd=False))  # noqa: SIM115 - only for AsyncFile's sake
        self._fd = fd

    async def write(self, text: str) -> int:
        data = memoryview(text.encode("utf-8"))
        while data:
            try:
                data = data[os.write(self._fd, data) :]
            except BlockingIOError:
                await anyio.wait_writable(self._fd)
        return len(text)

    async def flush(self) -> None:
        return None  # nothing is buffered


@asynccontextmanager
async def _streams() -> AsyncIterator[tuple[anyio.AsyncFile[str], anyio.AsyncFile[str] | None]]:
    """(stdin, stdout) to serve on: event-loop pipe streams when both are pipes of our own, else
    a daemon-thread reader and None (the SDK then writes stdout from its worker threads).

    On POSIX, fd 0 points at /dev/null meanwhile, whichever streams serve (a child process or
    a stray input() must not eat protocol lines), and with pipes fd 1 points at stderr (a stray
    print must not reach the wire; the SDK does the same for its own stdout). Both are restored
    afterwards. Should a descriptor fail to set up, the thread-based streams serve as before."""
    if sys.platform == "win32":
        yield DaemonLineReader(0), None
        return
    import fcntl  # POSIX only

    pipes = _own_pipes()
    undo: list[Callable[[], object]] = []
    try:
        wire = []
        for fd in (0, 1) if pipes else (0,):
            copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            undo.append(partial(os.close, copy))
            wire.append(copy)
        null = os.open(os.devnull, os.O_RDONLY)
        undo.append(partial(os.close, null))
        for fd, replacement in ((0, null), (1, 2))[: len(wire)]:
            os.dup2(replacement, fd)
            undo.append(partial(os.dup2, wire[fd], fd))
        if pipes:
            for copy in wire:
                flags = fcntl.fcntl(copy, fcntl.F_GETFL)
                fcntl.fcntl(copy, fcntl.F_SETFL, flags | os.O_NONBLOCK)
                undo.append(partial(fcntl.fcntl, copy, fcntl.F_SETFL, flags))
    except OSError as exc:
        log.debug("stdio stays as it is (%s): a daemon thread reads stdin", exc)
        _undo(undo)
        yield DaemonLineReader(0), None
        return
    try:
        yield (PipeLineReader(wire[0]), PipeWriter(wire[1])) if pipes else (DaemonLineReader(wire[0]), None)
    finally:
        _undo(undo)


def _undo(steps: list[Callable[[], object]]) -> None:
    """Run the undo steps, last first; one failing does not stop the others."""
    for step in reversed(steps):
        with suppress(OSError):
            step()


async def serve_stdio(server: MCPServer) -> None:
    """Serve until stdin closes or a SIGTERM/SIGINT arrives."""
    async with anyio.create_task_group() as group:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(*SIGNALS) as received:
                async for number in received:
                    log.info("%s received: shutting down", signal.Signals(number).name)
                    group.cancel_scope.cancel()
                    return

        if sys.platform != "win32":
            group.start_soon(watch_signals)
        lowlevel = server._lowlevel_server
        async with _streams() as (stdin, stdout), stdio_server(stdin, stdout) as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
        group.cancel_scope.cancel()


def run_stdio(server: MCPServer) -> int:
    """Blocking: serve `server` over stdio; 0 when it stopped on EOF or a signal."""
    try:
        anyio.run(serve_stdio, server)
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down, or Windows
        log.info("interrupted: shutting down")
    return 0
