"""A podcast host on loopback for the feed tests: our own fixtures, and the ways real hosts fail.

    /feeds/NAME.xml       tests/fixtures/feeds/NAME.xml, `{base}` replaced by the server's URL; with an
                          ETag and Last-Modified, answering 304 to a matching conditional request
    /files/NAME           a fixture file, its content type from its extension
    /missing/...          404
    /huge/declared...     declares a Content-Length of 1 GB
    /huge/streamed...     streams without a length until the client hangs up
    /loop/...             redirects to itself
    /to-data/, /to-js/    redirect to a data: and a javascript: URL
    /gzip/NAME            a fixture file gzip-compressed (Content-Encoding: gzip)
    /gzip-bomb/...        64 MiB of zeros, gzip-compressed (about 64 KiB on the wire)
    /slow/...             answers after `slow_seconds`
    /drip/...             sends a few bytes every 0.05 s, for a minute at most
    /flaky/NAME           503 the first time, then the file
    /media/...            audio/mpeg
Every request is recorded (`hits`: path -> count; `conditional`: paths asked with If-None-Match).
Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
TYPES = {".xml": "application/rss+xml", ".json": "application/json", ".vtt": "text/vtt", ".srt": "application/x-subrip",
         ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
LAST_MODIFIED = "Mon, 10 Mar 2025 10:00:00 GMT"
_BOMB = gzip.compress(b"WEBVTT\n\n" + b"\0" * (64 * 1024 * 1024), compresslevel=9)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.conditional: list[str] = []
        self.extra: dict[str, str] = {}
        """Feed name -> XML put where its `{extra}` placeholder is (a feed that changed)."""
        self.edits: dict[str, list[tuple[str, str]]] = {}
        """Feed name -> (old, new) text replacements (an episode whose metadata changed)."""
        self.slow_seconds = 3.0
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def feed_bytes(self, name: str) -> bytes:
        text = (FIXTURES / f"{name}.xml").read_text(encoding="utf-8")
        for old, new in self.edits.get(name, []):
            text = text.replace(old, new)
        return text.replace("{extra}", self.extra.get(name, "")).replace("{base}", self.base).encode()


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        if path.startswith("/feeds/"):
            name = path.removeprefix("/feeds/").removesuffix(".xml")
            if not (FIXTURES / f"{name}.xml").is_file():
                return self._send(404, b"no such feed")
            body = self.server.feed_bytes(name)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match"):
                self.server.conditional.append(path)
                if self.headers["If-None-Match"] == etag:
                    return self._send(304, headers={"ETag": etag})
            return self._send(200, body, "application/rss+xml; charset=utf-8", {"ETag": etag, "Last-Modified": LAST_MODIFIED})
        if path.startswith(("/files/", "/flaky/")):
            if path.startswith("/flaky/") and self.server.hits[path] == 1:
                return self._send(503, b"try again")
            file = FIXTURES / path.split("/", 2)[2]
            if not file.is_file() or file.parent != FIXTURES:
                return self._send(404, b"not found")
            return self._send(200, file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))
        if path.startswith("/huge/declared"):
            self.send_response(200)
            self.send_header("Content-Type", "text/vtt")
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            return None
        if path.startswith("/huge/streamed"):
            self.send_response(200)
            self.send_header("Content-Type", "text/vtt")
            self.end_headers()  # HTTP/1.0 without a length: the body ends when the connection does
            chunk = b"WEBVTT\n\n" + b"x" * 65536
            try:
                for _ in range(2000):  # 128 MB at most
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path.startswith("/gzip/"):
            file = FIXTURES / path.split("/", 2)[2]
            if not file.is_file() or file.parent != FIXTURES:
                return self._send(404, b"not found")
            return self._send(200, gzip.compress(file.read_bytes()), TYPES.get(file.suffix, "text/plain"), {"Content-Encoding": "gzip"})
        if path.startswith("/gzip-bomb/"):
            return self._send(200, _BOMB, "text/vtt", {"Content-Encoding": "gzip"})
        if path.startswith("/to-data/"):
            return self._send(302, headers={"Location": "data:text/plain,hello"})
        if path.startswith("/to-js/"):
            return self._send(302, headers={"Location": "javascript:alert(1)"})
        if path.startswith("/loop/"):
            return self._send(302, headers={"Location": path})
        if path.startswith("/slow/"):
            time.sleep(self.server.slow_seconds)
            try:
                return self._send(200, b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nlate\n", "text/vtt")
            except (BrokenPipeError, ConnectionResetError):
                return None
        if path.startswith("/drip/"):
            self.send_response(200)
            self.send_header("Content-Type", "text/vtt")
            self.end_headers()
            try:
                for _ in range(1200):
                    self.wfile.write(b"WEBVTT\n")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path.startswith("/media/"):
            return self._send(200, b"ID3" + b"\x00" * 64, "audio/mpeg")
        return self._send(404, b"not found")
