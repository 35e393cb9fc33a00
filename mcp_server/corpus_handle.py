"""The corpus a server serves: where it lives, and its index opened on first use.

Opening checks the index against the corpus (and builds it when stale); it runs
on the first call that needs data, not at start-up, so `initialize` and
`tools/list` answer at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import CorpusError, IndexError_
from corpus.locations import BUNDLED_CORPUS
from corpus.semantic.embedder import Embedder, default_embedder

if TYPE_CHECKING:  # imported on first use (`open`): start-up stays light
    from corpus.search import Searcher
    from corpus.store import CorpusStore

log = logging.getLogger(__name__)


def default_index_path(corpus_dir: Path) -> Path:
    """`$PODCAST_CORPUS_INDEX`, else a per-corpus file in the user's cache folder."""
    explicit = os.environ.get("PODCAST_CORPUS_INDEX")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(str(corpus_dir.resolve()).encode()).hexdigest()[:12]
    return cache / "podcast-corpus-mcp" / f"index-{tag}.sqlite"


INLINE_MAX_DOCUMENTS = 20_000  # about 100 episodes with a translation


@dataclass
class CorpusHandle:
    corpus_dir: Path = BUNDLED_CORPUS
    index_path: Path | None = None
    inline: bool = False
    """Whether the tools may answer on the event loop once the index is open (see `mcp_server.tools`).

    Right for stdio: one client, whose calls the store's lock and the GIL serialise anyway, and
    a thread hop per call costs about as much as the transport. Off (the default) every call
    runs in a worker thread, so that over HTTP one slow query never holds up other clients."""
    warm_up: bool = True
    """Whether opening the index starts the searcher's warm-up in a background thread (a server:
    yes; a one-shot command-line search: no, it would only compete with the search)."""
    embed_missing: bool = True
    """Whether opening an index whose turns lack vectors embeds them in a background thread (the
    words serve meanwhile; the index is swapped for the one with vectors when they are done)."""
    _store: CorpusStore | None = field(default=None, init=False, repr=False)
    _searcher: Searcher | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _opened: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _checked: float = field(default=0.0, init=False, repr=False)
    _seen_replacement: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _embedder: Embedder | None = field(default=None, init=False, repr=False)
    _embedding: threading.Thread | None = field(default=None, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.index_path is None:
            self.index_path = default_index_path(self.corpus_dir)
        self._embedder = default_embedder(threads=1)  # None when $PODCAST_CORPUS_SEMANTIC is off

    @property
    def answers_inline(self) -> bool:
        """`inline`, the index open, and small enough that no query holds the event loop for long
        (on a large corpus a query takes tens of milliseconds: it goes to a thread, so pings and
        cancellations are still answered meanwhile)."""
        store = self._store
        return self.inline and store is not None and store.fts_totals[0] <= INLINE_MAX_DOCUMENTS

    def open(self) -> CorpusStore:
        """The store, opened on first use: the index is checked, (re)built if stale or damaged, then opened read-only.

        Anything that goes wrong on the way is an IndexError_ (a CorpusError, so a tool error
        with this message) and the next call tries again.
        """
        from corpus.search import Searcher  # the query code and its libraries: loaded on first use
        from corpus.store import CorpusStore

        with self._lock:
            if self._store is None:
                assert self.index_path is not None
                try:
                    self._ensure(self.index_path)
                    self._store = CorpusStore(self.index_path)
                except (OSError, sqlite3.Error, CorpusError) as exc:
                    if isinstance(exc, IndexError_):
                        raise
                    raise IndexError_(
                        f"cannot build the index {self.index_path} for the corpus {self.corpus_dir}: {exc}"
                    ) from exc
                self._opened = _identity(self.index_path)
                self._searcher = Searcher(self._store, self._embedder)
                if self.warm_up:
                    threading.Thread(target=_warm, args=(self._searcher,), name="warm-up", daemon=True).start()
                self._start_embedding(self._store)
            return self._store

    def _start_embedding(self, store: CorpusStore) -> None:
        """Embed the passages the index lacks in a background thread (see `embed_missing`)."""
        embedder = self._embedder
        running = self._embedding is not None and self._embedding.is_alive()
        if not self.embed_missing or embedder is None or running or self._stop.is_set():
            return
        if store.vectors_identity != embedder.identity:
            return
        passages, embedded = store.vector_counts()
        if embedded == passages:
            return
        assert self.index_path is not None
        log.info("embedding %d passages in the background; search uses words for the turns without vectors", passages - embedded)
        self._embedding = threading.Thread(
            target=_embed, args=(self.index_path, embedder, self._stop), name="embedding", daemon=True
        )
        self._embedding.start()

    def _replacement(self) -> tuple[int, int] | None:
        """The identity of the index file when another writer (an embedding run, an ingest) replaced
        the one open, else None: checked at most once a second, at the cost of one stat; once seen,
        a replacement stays reported until `_swap_if_replaced` has opened it."""
        if self._seen_replacement is not None:
            return self._seen_replacement
        now = time.monotonic()
        if self._store is None or now - self._checked < REPLACED_CHECK_SECONDS:
            return None
        self._checked = now
        assert self.index_path is not None
        current = _identity(self.index_path)
        if current is None or current == self._opened:
            return None
        self._seen_replacement = current
        return current

    def _swap_if_replaced(self) -> None:
        """Reopen the index when the file was replaced (see `_replacement`)."""
        current = self._replacement()
        if current is None:
            return
        with self._lock:
            try:
                self._swap_to(current)
            finally:  # reported until the new searcher is in place: no kept answer comes from the old file meanwhile
                self._seen_replacement = None

    def _swap_to(self, current: tuple[int, int]) -> None:
        """Open the replacement index and put its searcher in place (the caller holds the lock)."""
        from corpus.search import Searcher
        from corpus.store import CorpusStore

        assert self.index_path is not None
        if self._opened == current or self._store is None:  # another thread swapped it, or the handle closed
            return
        try:
            store = CorpusStore(self.index_path)
        except CorpusError:
            log.warning("the index %s was replaced by a file that cannot be opened; keeping the one open", self.index_path)
            self._opened = current
            return
        # the old store is left to the searches still running on it (closed when they drop it)
        self._store, self._searcher, self._opened = store, Searcher(store, self._embedder), current
        log.info("index %s reopened (replaced on disk)", self.index_path)
        if self.warm_up:
            threading.Thread(target=_warm, args=(self._searcher,), name="warm-up", daemon=True).start()
        self._start_embedding(store)  # an index swapped in without all its vectors (an interrupted ingest, say)

    def prepare(self) -> None:
        """Bring the index up to date without opening it (before worker processes fork: none of
        them then builds it, and no SQLite connection crosses a fork). Failures are left to the
        first call, which reports them."""
        assert self.index_path is not None
        try:
            self._ensure(self.index_path)
        except (OSError, sqlite3.Error, CorpusError) as exc:
            log.warning("the index %s could not be prepared (%s); the first call will try again", self.index_path, exc)

    def _ensure(self, index_path: Path) -> None:
        from corpus.index.build import ensure_index  # the parsers and the indexer: loaded on first use

        report = ensure_index(self.corpus_dir, index_path)
        if report is not None:
            log.info(
                "index %s: %d episodes indexed, %d unchanged, %d errors in %.2fs",
                index_path, len(report.indexed), report.unchanged, len(report.errors), report.seconds,
            )
            for error in report.errors:
                log.error("%s", error)

    @property
    def store(self) -> CorpusStore:
        self._swap_if_replaced()
        return self._store or self.open()

    @property
    def searcher(self) -> Searcher:
        self._swap_if_replaced()
        searcher = self._searcher
        if searcher is None:
            self.open()
            searcher = self._searcher
            assert searcher is not None
        return searcher

    @property
    def opened_searcher(self) -> Searcher | None:
        """The searcher when the index is open and still the file on disk, else None: never opens,
        builds, swaps or waits (a caller on the event loop then asks `searcher` in a thread)."""
        return None if self._replacement() is not None else self._searcher

    def close(self) -> None:
        self._stop.set()  # a background embedding stops after its batch, publishing what it has
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
                self._searcher = None


REPLACED_CHECK_SECONDS = 1.0


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def _embed(index_path: Path, embedder: Embedder, stop: threading.Event) -> None:
    """embed_missing in the background: any failure is logged, and search goes on by words."""
    from corpus.index.vectors import embed_missing

    try:
        report = embed_missing(index_path, embedder, stop=stop.is_set)
    except (CorpusError, OSError, sqlite3.Error) as exc:
        log.warning("embedding the index's passages failed: %s; search uses words for the turns without vectors", exc)
        return
    except Exception:  # a bug: the words still serve
        log.exception("embedding the index's passages failed")
        return
    if report.error is None:
        log.info("embedded %d passages in %.1fs", report.embedded, report.seconds)


def _warm(searcher: Searcher) -> None:
    """Searcher.warm in the background: a failure only means the first query loads what it needs itself."""
    try:
        searcher.warm()
    except CorpusError:  # the store closed meanwhile (IndexError_): nothing waits on this thread
        log.debug("warming the searcher stopped", exc_info=True)
    except Exception:  # a bug: the first queries will load what they need themselves
        log.warning("warming the searcher failed", exc_info=True)
