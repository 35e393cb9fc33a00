"""Serving over stdio with a graceful shutdown.

SIGTERM (what process managers and MCP hosts send) and SIGINT (Ctrl-C) stop the
server cleanly: the serving task is cancelled, a line is logged to stderr and the
process exits with status 0, with no traceback. The server also stops, as before,
when the client closes stdin.

stdin is read by a daemon thread of our own: the SDK reads it in an AnyIO worker
thread that cannot be abandoned, so a read blocked on a pipe the client keeps open
would hold up the shutdown until the next line. stdout is still claimed by the SDK
(stray prints go to stderr, never onto the wire).
"""

from __future__ import annotations

import codecs
import logging
import os
import signal
import sys
import threading

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


def _stdin() -> DaemonLineReader:
    return DaemonLineReader(sys.stdin.fileno())


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
        async with stdio_server(stdin=_stdin()) as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
        group.cancel_scope.cancel()


def run_stdio(server: MCPServer) -> int:
    """Blocking: serve `server` over stdio; 0 when it stopped on EOF or a signal."""
    try:
        anyio.run(serve_stdio, server)
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down, or Windows
        log.info("interrupted: shutting down")
    return 0
