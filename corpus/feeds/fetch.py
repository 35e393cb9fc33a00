"""A bounded HTTP client for feeds and what they link to (httpx).

Every request: http or https only; a timeout (connect, read, write and pool, each
`FetchLimits.timeout` seconds) and a deadline for the whole body (`FetchLimits.total`);
at most `redirects` redirects; a size cap read as the body streams in (a declared
Content-Length over it is refused before any byte is read; a compressed body counts
decompressed, 64 KiB at a time, so that a gzip bomb stops within 64 KiB of the cap);
a content type checked against what the caller expects; retries with exponential
backoff on connection failures, timeouts, 429 and 5xx, never on other answers.
Conditional requests (ETag, Last-Modified) answer 304 with an empty body.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

USER_AGENT = "podcast-corpus-mcp/0.1 (feed ingest)"
FEED_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml", "application/x-rss+xml",
              "application/rdf+xml", "application/octet-stream")
TRANSCRIPT_TYPES = ("text/", "application/json", "application/x-subrip", "application/srt", "application/octet-stream")
CHAPTER_TYPES = ("application/json", "application/json+chapters", "text/", "application/octet-stream")
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


class FetchFailed(Exception):
    """A request that did not give a usable body; the message says why (for FeedError)."""

    def __init__(self, url: str, reason: str, *, transient: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.transient = transient
        """A timeout, a connection failure, a 429 or a 5xx, still there after the retries: a later run may get past it."""
        super().__init__(reason)


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 20.0
    total: float = 300.0
    """Seconds one response may take in all: a server that drips bytes just faster than `timeout`
    would otherwise hold the run up for as long as it likes."""
    feed_bytes: int = 20 * 1024 * 1024
    transcript_bytes: int = 20 * 1024 * 1024
    chapters_bytes: int = 2 * 1024 * 1024
    redirects: int = 5
    retries: int = 2
    backoff: float = 0.5
    """Seconds before the first retry; doubled for each next one."""


@dataclass(frozen=True)
class Fetched:
    url: str
    """The final URL, after redirects."""
    status: int
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str) -> str:
    """The URL when it is http(s) with a host, else FetchFailed (file:, ftp:, javascript:, ...)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchFailed(url, f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchFailed(url, f"only http and https URLs are fetched, not {parsed.scheme or 'a relative'} URL")
    return url


def _type_ok(content_type: str, accepted: tuple[str, ...]) -> bool:
    if not content_type:
        return True  # many servers send none for static files
    return any(content_type == kind or (kind.endswith("/") and content_type.startswith(kind)) for kind in accepted) or (
        content_type.endswith("+json") and "application/json" in accepted
    ) or (content_type.endswith("+xml") and "application/xml" in accepted)


@dataclass
class Fetcher:
    """One httpx client for a run (connections are reused); close it, or use it as a context manager."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            follow_redirects=True,
            max_redirects=self.limits.redirects,
            timeout=httpx.Timeout(self.limits.timeout),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},  # what _Inflater decodes
            trust_env=False,  # no proxy or netrc from the environment: a feed URL goes where it says
        )
        self.requests = 0
        """Requests sent (tests count them: a re-run of an unchanged feed sends one)."""

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accepted: tuple[str, ...],
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        check_url(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return self._once(url, headers, max_bytes, accepted)
            except _Retry as retry:
                if attempt >= self.limits.retries:
                    raise FetchFailed(url, f"{retry.reason} (after {attempt + 1} attempts)", transient=True) from None
                delay = self.limits.backoff * (2**attempt)
                attempt += 1
                self.sleep(delay)

    def _once(self, url: str, headers: dict[str, str], max_bytes: int, accepted: tuple[str, ...]) -> Fetched:
        self.requests += 1
        try:
            with self._stream(url, headers) as response:
                if response.status_code in RETRIED_STATUS:
                    raise _Retry(f"HTTP {response.status_code}")
                final = str(response.url)
                if response.status_code == 304:
                    return Fetched(final, 304, b"", "", response.headers.get("etag"), response.headers.get("last-modified"))
                if response.status_code != 200:
                    raise FetchFailed(final, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not _type_ok(content_type, accepted):
                    raise FetchFailed(final, f"unexpected content type {content_type!r}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(final, f"too large: {int(declared):,} bytes declared, the limit is {max_bytes:,}")
                inflater = _Inflater(final, response.headers.get("content-encoding", ""))
                chunks: list[bytes] = []
                size = 0
                deadline = time.monotonic() + self.limits.total
                for raw in response.iter_raw():
                    for chunk in inflater.pieces(raw):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchFailed(final, f"too large: more than the limit of {max_bytes:,} bytes")
                        chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise FetchFailed(final, f"too slow: still sending after {self.limits.total:g} s")
                if inflater.unfinished():
                    raise FetchFailed(final, "bad response: the compressed body ends early")
                return Fetched(
                    final, 200, b"".join(chunks), content_type, response.headers.get("etag"), response.headers.get("last-modified")
                )
        except httpx.TooManyRedirects:
            raise FetchFailed(url, f"more than {self.limits.redirects} redirects (a redirect loop?)") from None
        except httpx.UnsupportedProtocol as exc:
            raise FetchFailed(url, f"redirected to a URL that is not http or https ({exc})") from None
        except httpx.InvalidURL as exc:  # not an HTTPError: e.g. a redirect to data: or javascript:
            raise FetchFailed(url, f"redirected to a URL that cannot be fetched ({exc})") from None
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.limits.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed: {exc or type(exc).__name__}") from None
        except httpx.HTTPError as exc:  # e.g. a body that does not decompress
            raise FetchFailed(url, f"bad response: {exc or type(exc).__name__}") from None

    @contextmanager
    def _stream(self, url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
        with self.client.stream("GET", url, headers=headers) as response:
            yield response


PIECE = 64 * 1024
"""Bytes decompressed at a time: the most a compressed body is read beyond its cap before it is cut off."""


class _Inflater:
    """A response body's Content-Encoding undone PIECE bytes at a time at most (zlib's max_length), so
    that a gzip bomb is cut off within PIECE bytes of the cap, not after all that one network chunk
    decompresses to (tens of MiB). Only what the client asks for (gzip, deflate) is accepted."""

    def __init__(self, url: str, encoding: str) -> None:
        self.url = url
        name = encoding.strip().lower()
        if name in ("", "identity"):
            self.zlib: Any = None
        elif name in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif name == "deflate":
            self.zlib = zlib.decompressobj()
        else:
            raise FetchFailed(url, f"unsupported content encoding {encoding[:40]!r}")
        self.name = name
        self.started = False
        self.produced = False
        self.consumed = b""
        """The input read before any output came out (a few bytes): replayed when deflate turns out raw."""
        self.raw_deflate_tried = False

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self.zlib is None:
            yield data
            return
        while data:
            if self.zlib.eof:  # the stream ended: gzip may go on with another member, anything else is done
                if self.name == "deflate" or not data.strip(b"\0"):
                    return
                self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
            try:
                out = self.zlib.decompress(data, PIECE)
            except zlib.error as exc:
                if self.name == "deflate" and not self.produced and not self.raw_deflate_tried:
                    self.raw_deflate_tried = True  # many servers send deflate without its zlib header
                    self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    data = self.consumed + data
                    continue
                raise FetchFailed(self.url, f"bad response: the body does not decompress ({exc})") from None
            if not self.produced:
                self.consumed += data[: len(data) - len(self.zlib.unconsumed_tail)]  # to start over as raw deflate
            self.started = True
            if out:
                self.produced = True
                yield out
            rest = self.zlib.unused_data if self.zlib.eof else self.zlib.unconsumed_tail
            if rest == data and not out:
                return  # no progress: nothing more comes out of this input
            data = rest

    def unfinished(self) -> bool:
        return self.zlib is not None and self.started and not self.zlib.eof


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
