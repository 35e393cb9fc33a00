"""Serving over stdio with a graceful shutdown.

SIGTERM (what process managers and MCP hosts send) and SIGINT (Ctrl-C) stop the
server cleanly: the serving task is cancelled, a line is logged to stderr and the
process exits with status 0, with no traceback. The server also stops when the client
closes stdin, once it has answered every request it read (`answering_every_request`),
and when the client closes its end of stdout.

When stdin and stdout are pipes (how every MCP client launches a server), Linux
serves them on the event loop itself: each pipe is opened anew through /proc (a file
description of our own, so making it non-blocking affects no other process, even if
this one is killed), and read and written with readiness waits, no thread. The SDK
reads and writes them in AnyIO worker threads, three thread hand-offs per request,
which cost about as much as a small query. Meanwhile descriptors 0 and 1 point at
/dev/null and stderr, so a stray print or a child process never reaches the wire;
both are restored afterwards.

Anywhere else (a terminal, a file, macOS, Windows), stdin is read by a daemon thread
of our own and stdout is left to the SDK: the SDK's reader thread cannot be
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
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from functools import partial

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from anyio.from_thread import run as run_from_thread
from anyio.lowlevel import EventLoopToken, current_token
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared.dispatcher import coerce_request_id
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse, RequestId

from mcp_server.unreadable import unreadable_reply

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
    """(device, inode) of a pipe descriptor; None for anything else or a closed fd."""
    try:
        found = os.fstat(fd)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISFIFO(found.st_mode) else None


def _pipes_apart() -> bool:
    """Whether stdin and stdout are pipes, and stderr does not write into stdout's (`2>&1`: the
    logs would corrupt the protocol anyway; the SDK's own streams serve that as they always did)."""
    out = _pipe_id(1)
    return _pipe_id(0) is not None and out is not None and _pipe_id(2) != out


def _above_std(fd: int) -> int:
    """fd moved above the standard descriptors (a fresh one lands on 0-2 when one of them is closed)."""
    import fcntl  # POSIX only

    if fd > 2:
        return fd
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    finally:
        os.close(fd)


def _private_pipe(fd: int, mode: int) -> int | None:
    """The pipe at fd opened anew, non-blocking: a file description of our own, so the flag
    reaches no other process holding the pipe, even if this one dies unannounced. Linux opens it
    through /proc; None elsewhere, or when the pipe cannot be opened (the other end closed)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _above_std(os.open(f"/proc/self/fd/{fd}", mode | os.O_NONBLOCK | os.O_CLOEXEC))
    except OSError:
        return None


def _flush_stdout() -> None:
    """Flush what a stray print left in sys.stdout's buffer, to wherever fd 1 points now."""
    with suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()


class PipeLineReader(anyio.AsyncFile[str]):
    """Lines from a non-blocking pipe, read on the event loop when it is readable."""

    def __init__(self, fd: int) -> None:
        super().__init__(open(fd, encoding="utf-8", errors="replace", closefd=False))  # noqa: SIM115 - only for AsyncFile's sake
        self._fd = fd
        self._buffer = bytearray()
        self._scanned = 0  # the buffer holds no newline before this offset: a long line is scanned once
        self._eof = False

    async def readline(self) -> str:
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0 or (self._eof and self._buffer):
                end = end + 1 if end >= 0 else len(self._buffer)
                line = bytes(self._buffer[:end])
                del self._buffer[:end]
                self._scanned = 0
                return line.decode("utf-8", errors="replace")  # a newline byte never splits a UTF-8 character
            self._scanned = len(self._buffer)
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
    afterwards, sys.stdout flushed first. Should a descriptor fail to set up, the thread-based
    streams serve as before."""
    if sys.platform == "win32":
        yield DaemonLineReader(0), None
        return
    import fcntl  # POSIX only

    undo: list[Callable[[], object]] = []
    streams: tuple[anyio.AsyncFile[str], anyio.AsyncFile[str] | None] | None = None
    try:
        _flush_stdout()
        saved_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
        undo.append(partial(os.close, saved_in))
        reader = writer = None
        if _pipes_apart():
            reader = _private_pipe(0, os.O_RDONLY)
            writer = _private_pipe(1, os.O_WRONLY) if reader is not None else None
            undo += [partial(os.close, fd) for fd in (reader, writer) if fd is not None]
        null = _above_std(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
        undo.append(partial(os.close, null))
        os.dup2(null, 0)
        undo.append(partial(os.dup2, saved_in, 0))
        if reader is not None and writer is not None:
            saved_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
            undo.append(partial(os.close, saved_out))
            os.dup2(2, 1)
            undo += [partial(os.dup2, saved_out, 1), _flush_stdout]  # undone last first: flush, then restore
            streams = PipeLineReader(reader), PipeWriter(writer)
        else:
            streams = DaemonLineReader(saved_in), None
    except OSError as exc:
        log.debug("stdio stays as it is (%s): a daemon thread reads stdin", exc)
        _undo(undo)
    if streams is None:
        yield DaemonLineReader(0), None
        return
    try:
        yield streams
    finally:
        _undo(undo)


def _undo(steps: list[Callable[[], object]]) -> None:
    """Run the undo steps, last first; one failing does not stop the others."""
    for step in reversed(steps):
        with suppress(OSError):
            step()
    steps.clear()


ANSWER_PATIENCE = 120.0
"""Seconds the server waits, once stdin has closed, for the answers to the requests it has read."""


def _request_key(request_id: RequestId) -> RequestId:
    return coerce_request_id(request_id)  # "7" and 7 are one id to the SDK


@asynccontextmanager
async def answering_every_request(
    read_stream: ContextReceiveStream[SessionMessage | Exception], write_stream: ContextSendStream[SessionMessage]
) -> AsyncIterator[tuple[ContextReceiveStream[SessionMessage | Exception], ContextSendStream[SessionMessage]]]:
    """The server's streams, relayed so that the end of stdin reaches the server only once every
    request read so far has its answer written (or was cancelled by the client, or ANSWER_PATIENCE
    ran out): the SDK cancels its in-flight handlers at end of input, so a client that writes its
    requests and closes stdin (`podcast-corpus-mcp < requests.jsonl`) would lose their replies."""
    pending: Counter[RequestId] = Counter()
    changed = anyio.Event()
    reads_in, reads = create_context_streams[SessionMessage | Exception](0)
    writes, writes_out = create_context_streams[SessionMessage](0)

    def note(key: RequestId, delta: int) -> None:
        nonlocal changed
        pending[key] += delta
        if pending[key] <= 0:
            del pending[key]
        changed.set()
        changed = anyio.Event()

    async def relay_reads() -> None:
        async with reads_in:
            async for item in read_stream:
                if isinstance(item, Exception):
                    reply = unreadable_reply(item)
                    if reply is None:
                        log.warning("unreadable message on stdin (a malformed response?): dropped")
                    else:
                        log.warning("unreadable message on stdin: answered %d %s", reply.error.code, reply.error.message.split(";")[0])
                        await write_stream.send(SessionMessage(reply))
                    continue
                if isinstance(item, SessionMessage):
                    message = item.message
                    if isinstance(message, JSONRPCRequest):
                        note(_request_key(message.id), +1)
                    elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
                        cancelled = (message.params or {}).get("requestId")
                        if isinstance(cancelled, int | str) and pending[_request_key(cancelled)] > 0:
                            note(_request_key(cancelled), -1)
                await reads_in.send(item)
            with anyio.move_on_after(ANSWER_PATIENCE) as waited:
                while pending:
                    await changed.wait()
            if waited.cancelled_caught:
                log.warning("stdin closed; %d requests still unanswered after %.0fs: stopping", sum(pending.values()), ANSWER_PATIENCE)

    async def relay_writes() -> None:
        async with write_stream:
            async for item in writes_out:
                await write_stream.send(item)
                message = item.message
                answered = message.id if isinstance(message, JSONRPCResponse | JSONRPCError) else None
                if answered is not None and pending[_request_key(answered)] > 0:
                    note(_request_key(answered), -1)

    async with anyio.create_task_group() as relays:
        relays.start_soon(relay_reads)
        relays.start_soon(relay_writes)
        yield reads, writes


async def serve_stdio(server: MCPServer) -> None:
    """Serve until stdin closes (every request read answered first) or a SIGTERM/SIGINT arrives."""
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
        async with (
            _streams() as (stdin, stdout),
            stdio_server(stdin, stdout) as (read_stream, write_stream),
            answering_every_request(read_stream, write_stream) as (reads, writes),
        ):
            await lowlevel.run(reads, writes, lowlevel.create_initialization_options())
        group.cancel_scope.cancel()


def run_stdio(server: MCPServer) -> int:
    """Blocking: serve `server` over stdio; 0 when it stopped on EOF, a signal or the client
    closing its end of stdout."""
    try:
        try:
            anyio.run(serve_stdio, server)
        except* (BrokenPipeError, ConnectionResetError):
            log.info("the client closed stdout: shutting down")
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down, or Windows
        log.info("interrupted: shutting down")
    return 0
