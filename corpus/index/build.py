"""Building and updating the SQLite index, always atomically.

The index is derived data. `ensure_index` checks a cheap fingerprint (schema
version, the corpus library's own code, every corpus file's size and mtime)
and updates the index when it differs. An update copies the current index to a
temporary file, re-indexes only the episodes whose files changed (by SHA-256),
drops episodes whose folder is gone, then renames the file into place: readers
see the old index or the new one, never a mix. An episode that fails to parse
keeps its previous version in the index and is reported with file and line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.dates import published_day
from corpus.errors import CorpusError, ParseError
from corpus.exchanges import answered_questions
from corpus.index.schema import SCHEMA, SCHEMA_VERSION, SLOTS
from corpus.index.vectors import carry_vectors, drop_orphans, fill_from_seed, index_lock, passage_rows, vectors_identity
from corpus.lexicon import episode_lexicon
from corpus.load import episode_folders, file_sha256, load_episode
from corpus.model import Episode
from corpus.sidecar import SIDECAR_NAME
from corpus.tokenize import index_terms, surface_words

if TYPE_CHECKING:  # numpy: imported when a build writes, not when a server checks its index
    from corpus.index.postings import PostingsWriter

log = logging.getLogger(__name__)
_CODE_DIR = Path(__file__).resolve().parent.parent

Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
    indexed: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    differences: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.indexed or self.removed)


READERS = frozenset({
    "bm25.py", "catalog.py", "cursor.py", "english.py", "ingest.py", "phonetic.py", "postings_ranking.py", "query.py", "ranked.py",
    "ranking.py", "recent.py", "search.py", "search_result.py", "snippets.py", "store.py", "times.py", "transcript.py", "turns.py",
    "uris.py", "semantic/__init__.py", "semantic/embedder.py", "semantic/vectors.py", "semantic/fusion.py",
    # feed ingest writes episode folders, whose files the index hashes: its code does not shape the index
    "feeds/__init__.py", "feeds/chapters.py", "feeds/choose.py", "feeds/feed.py", "feeds/fetch.py", "feeds/run.py", "feeds/state.py",
    "feeds/to_corpus.py",
})
"""Modules that only read a built index: changing them does not make an index stale. Every
other module of the package (parsers, model, tokenizer, index builder...) counts."""


def code_fingerprint() -> str:
    """A digest of the code that decides what an index holds, and of the vectors it holds (their
model, or none when search by meaning is off)."""
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}\nvectors={vectors_identity() or 'off'}".encode())
    for path in sorted(p for p in _CODE_DIR.rglob("*.py") if p.relative_to(_CODE_DIR).as_posix() not in READERS):
        digest.update(path.relative_to(_CODE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Cheap: names, sizes and mtimes of every file in every episode folder."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for folder in episode_folders(corpus_dir):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(corpus_dir).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_pairs(index_path: Path, query: str) -> dict[str, str]:
    """The rows of a two-column query on the index, as a dict; {} when the file is missing or not
    a readable index."""
    if not index_path.is_file():
        return {}
    try:
        with closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as conn:
            return dict(conn.execute(query).fetchall())
    except sqlite3.DatabaseError:
        return {}


def read_meta(index_path: Path) -> dict[str, str]:
    """The index's meta table, or {} when the file is missing or not a readable index."""
    return read_pairs(index_path, "SELECT key, value FROM meta")


def turn_weight(terms: int) -> float:
    """The length prior: a turn of fewer than 20 index terms weighs less on an equal match."""
    return round(min(1.0, float((max(terms, 1) / 20) ** 0.5)), 4)


def language_slots(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT code, slot FROM languages").fetchall())


def _slot(conn: sqlite3.Connection, slots: dict[str, int], language: str) -> int:
    if language not in slots:
        if len(slots) >= SLOTS:
            raise CorpusError(f"the index holds {SLOTS} languages already ({', '.join(sorted(slots))}); cannot add '{language}'")
        slots[language] = len(slots)
        conn.execute("INSERT INTO languages (code, slot) VALUES (?, ?)", (language, slots[language]))
    return slots[language]


FTS_SETTINGS = (("automerge", 0), ("hashsize", 16 * 1024 * 1024))
"""FTS5's settings for writing, kept in the index. Search reads the postings, not FTS5's segments
(FTS5 serves the tests' reference ranking and its averages record), so FTS5 need not merge them as
it goes: a build from scratch ends with `optimize` (one segment), and an incremental one leaves its
segments to FTS5's crisis merges (16 on a level). With 16 MB of pending terms in memory instead of
1 MB, FTS5 writes fewer, larger segments. Inserting the 1.8 million documents of the 10,000-episode
corpus, then `optimize`: 21.5 s with these settings, 25.8-38.6 s with FTS5's defaults."""
FTS_BATCH_DOCUMENTS = 50_000
"""Documents whose FTS5 rows are held back before they are written (about 20 MB of build memory)."""


_FTS_DELETE = "INSERT INTO fts (fts, rowid, body) VALUES ('delete', ?, ?)"


class FtsBatch:
    """Changes to FTS5 (rows of the documents a build adds, and of those it deletes), written
    between episodes, many at a time, in the order they were made.

    FTS5 writes what it holds in memory out as a new segment at every SAVEPOINT and RELEASE,
    and each episode is written inside a savepoint (so that one that fails rolls back alone).
    Fed inside them, FTS5 wrote one small segment per episode and merged them again and again:
    the one part of a build that grew faster than the corpus (RELEASE took 2.3 s of a 1,000-episode
    build and 31.9 s, 13.8 times as much, of a 10,000-episode one). Changes are taken only once
    their episode's savepoint is released, so an episode rolled back leaves none behind."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.changes: list[tuple[bool, int, str]] = []
        """(added, pk, body): True to index the document, False to take it out of the index."""

    def add(self, rows: Sequence[tuple[int, str]]) -> None:
        self.changes.extend((True, pk, body) for pk, body in rows)

    def delete(self, rows: Sequence[tuple[int, str]]) -> None:
        """Documents deleted from `docs`, with the bodies FTS5 indexed (it needs them to forget them)."""
        self.changes.extend((False, pk, body) for pk, body in rows)

    def flush_if_full(self) -> None:
        if len(self.changes) >= FTS_BATCH_DOCUMENTS:
            self.flush()

    def flush(self) -> None:
        for added, run in groupby(self.changes, key=lambda change: change[0]):
            statement = "INSERT INTO fts (rowid, body) VALUES (?, ?)" if added else _FTS_DELETE
            self.conn.executemany(statement, [(pk, body) for _, pk, body in run])
        self.changes = []


def _insert_episode(conn: sqlite3.Connection, folder: str, episode: Episode, postings: PostingsWriter) -> list[tuple[int, str]]:
    """Write an episode's rows; returns its documents' FTS5 rows (pk, body), for an `FtsBatch`."""
    header = episode.model_dump(mode="json", exclude={"turns", "launches"})
    cursor = conn.execute(
        "INSERT INTO episodes (id, folder, published, data) VALUES (?, ?, ?, ?)",
        (episode.id, folder, published_day(episode.published), json.dumps(header, ensure_ascii=False)),
    )
    episode_pk = cursor.lastrowid
    conn.executemany(
        "INSERT INTO sources (episode_pk, path, sha256) VALUES (?, ?, ?)",
        [(episode_pk, s.path, s.sha256) for s in episode.sources],
    )
    conn.executemany(
        "INSERT INTO speakers (episode_pk, id, data) VALUES (?, ?, ?)",
        [(episode_pk, s.id, s.model_dump_json()) for s in episode.speakers],
    )
    conn.executemany(
        "INSERT INTO launches (episode_pk, id, data) VALUES (?, ?, ?)",
        [(episode_pk, launch.id, launch.model_dump_json()) for launch in episode.launches],
    )
    slots = language_slots(conn)
    words: Counter[str] = Counter()
    docs: list[tuple[int, int, str, str]] = []
    tokenized = [{language: index_terms(text) for language, text in turn.text.items()} for turn in episode.turns]
    for texts in tokenized:  # a language the index has no room for fails here, before anything is written
        for language in texts:
            _slot(conn, slots, language)
    added: list[tuple[int, list[str]]] = []
    identity = vectors_identity()
    passages: list[tuple[int, int, int, bytes]] = []
    asked = answered_questions(episode.turns, {s.id for s in episode.speakers if s.host})
    pks: dict[int, int] = {}
    for turn, texts in zip(episode.turns, tokenized, strict=True):  # in order: a question is in before its answers
        primary = texts.get(episode.language) or next(iter(texts.values()), [])
        weight = turn_weight(len(primary))
        question = asked.get(turn.ordinal)
        answers = pks.get(question) if question is not None else None
        turn_pk = conn.execute(
            "INSERT INTO turns (episode_pk, ordinal, start_seconds, speaker, weight, answers, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (episode_pk, turn.ordinal, turn.start_seconds, turn.speaker, weight, answers, turn.model_dump_json()),
        ).lastrowid
        assert turn_pk is not None
        pks[turn.ordinal] = turn_pk
        if identity is not None:
            passages += passage_rows(turn_pk, turn, slots, identity)
        for language, tokens in texts.items():
            doc_pk = turn_pk * SLOTS + _slot(conn, slots, language)
            docs.append((doc_pk, turn_pk, language, " ".join(tokens)))
            added.append((doc_pk, tokens))
            words.update(set(surface_words(turn.text[language])))
    by_language = Counter(language for _, _, language, _ in docs)
    conn.execute(
        "UPDATE episodes SET turn_count = ?, languages = ? WHERE pk = ?",
        (len(episode.turns), json.dumps([code for code, _ in by_language.most_common()]), episode_pk),
    )
    lengths: dict[int, tuple[int, int]] = {}
    for doc_pk, tokens in added:
        documents, held = lengths.get(doc_pk % SLOTS, (0, 0))
        lengths[doc_pk % SLOTS] = (documents + 1, held + len(tokens))
    conn.executemany(
        "INSERT INTO doc_lengths (episode_pk, slot, documents, tokens) VALUES (?, ?, ?, ?)",
        [(episode_pk, slot, documents, tokens) for slot, (documents, tokens) in sorted(lengths.items())],
    )
    conn.executemany("INSERT INTO docs (pk, turn_pk, language, body) VALUES (?, ?, ?, ?)", docs)
    conn.executemany("INSERT INTO passages (turn_pk, slot, part, hash) VALUES (?, ?, ?, ?)", passages)
    conn.executemany(
        "INSERT INTO vocab (word, df) VALUES (?, ?) ON CONFLICT (word) DO UPDATE SET df = df + excluded.df",
        words.items(),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO lexicon (episode_pk, ko, en, source) VALUES (?, ?, ?, ?)",
        [(episode_pk, ko, en, source) for ko, en, source in sorted(episode_lexicon(episode))],
    )
    postings.add(sorted(added, key=lambda doc: doc[0]))  # last: an episode rolled back leaves no postings behind
    return [(pk, body) for pk, _, _, body in docs]


def _delete_episode(conn: sqlite3.Connection, episode_pk: int) -> tuple[int, list[tuple[int, str]]]:
    """Remove an episode; returns how many postings it leaves dead in the stored segments, and
    its documents' FTS5 rows (pk, body) for an `FtsBatch` to take out of FTS5."""
    dead = 0
    rows: list[tuple[int, str]] = []
    low, high = conn.execute("SELECT min(pk), max(pk) FROM turns WHERE episode_pk = ?", (episode_pk,)).fetchone()
    if low is not None:
        docs = (low * SLOTS, high * SLOTS + SLOTS - 1)
        rows = conn.execute("SELECT pk, body FROM docs WHERE pk BETWEEN ? AND ?", docs).fetchall()
        dead = sum(len(set(body.split())) for _, body in rows)
        conn.execute("DELETE FROM docs WHERE pk BETWEEN ? AND ?", docs)
        conn.execute("DELETE FROM passages WHERE turn_pk BETWEEN ? AND ?", (low, high))
    words: Counter[str] = Counter()
    for (data,) in conn.execute("SELECT data FROM turns WHERE episode_pk = ?", (episode_pk,)):
        for text in json.loads(data)["text"].values():
            words.update(set(surface_words(text)))
    conn.executemany("UPDATE vocab SET df = df - ? WHERE word = ?", [(n, w) for w, n in words.items()])
    conn.execute("DELETE FROM vocab WHERE df <= 0")
    for table in ("turns", "speakers", "launches", "sources", "lexicon", "doc_lengths"):
        conn.execute(f"DELETE FROM {table} WHERE episode_pk = ?", (episode_pk,))  # noqa: S608 - fixed names
    conn.execute("DELETE FROM episodes WHERE pk = ?", (episode_pk,))
    return dead, rows


def _indexed_sources(conn: sqlite3.Connection) -> dict[str, tuple[int, dict[str, str]]]:
    found: dict[str, tuple[int, dict[str, str]]] = {}
    for pk, folder in conn.execute("SELECT pk, folder FROM episodes"):
        rows = conn.execute("SELECT path, sha256 FROM sources WHERE episode_pk = ?", (pk,)).fetchall()
        found[folder] = (pk, dict(rows))
    return found


def _current_sources(corpus_dir: Path, folder: Path) -> dict[str, str]:
    files = [folder / SIDECAR_NAME, *(p for p in sorted(folder.iterdir()) if p.is_file() and p.name != SIDECAR_NAME)]
    return {p.relative_to(corpus_dir).as_posix(): file_sha256(p) for p in files}


def build_index(
    corpus_dir: Path,
    index_path: Path,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Bring the index at `index_path` up to date with `corpus_dir` (see the module doc)."""
    started = time.perf_counter()
    corpus_dir = corpus_dir.resolve()
    report = BuildReport()
    index_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(index_path)
    meta = read_meta(index_path)
    reuse = not rebuild and meta.get("code") == code_fingerprint() and meta.get("corpus_dir") == str(corpus_dir) and index_ok(index_path)
    if reuse and meta.get("fingerprint") == corpus_fingerprint(corpus_dir):
        # no file was added, removed, resized or touched since the index was built: nothing to copy
        report.unchanged = len(episode_folders(corpus_dir))
        report.seconds = time.perf_counter() - started
        return report
    with index_lock(index_path):
        _build(corpus_dir, index_path, report, reuse=reuse, progress=progress)
    report.seconds = time.perf_counter() - started
    return report


def _build(corpus_dir: Path, index_path: Path, report: BuildReport, *, reuse: bool, progress: Progress | None) -> None:
    """Copy (or create) the index in a temp file, update it, rename it into place."""
    temp = index_path.with_name(f".{index_path.name}.{os.getpid()}.tmp")
    try:
        if reuse:
            shutil.copyfile(index_path, temp)
        conn = sqlite3.connect(temp)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = MEMORY")  # cheap, and lets one episode roll back
            conn.execute("PRAGMA synchronous = OFF")
            if not reuse:
                report.rebuilt = True
                conn.executescript(SCHEMA)
                conn.executemany("INSERT INTO fts (fts, rank) VALUES (?, ?)", FTS_SETTINGS)
                carry_vectors(conn, index_path)
            from corpus.index.postings import PostingsWriter, tidy, write_turn_arrays

            postings = PostingsWriter(conn)
            fts = FtsBatch(conn)
            dead = _update(conn, corpus_dir, report, progress, postings, fts)
            fts.flush()
            postings.flush()
            if report.indexed or report.removed or report.rebuilt:
                drop_orphans(conn)  # vectors of passages no turn has any more
            fill_from_seed(conn)
            if report.changed or report.rebuilt:
                tidy(conn, write_turn_arrays(conn), dead, whole=report.rebuilt)
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("vectors", vectors_identity() or "off"),
                    ("code", code_fingerprint()),
                    ("corpus_dir", str(corpus_dir)),
                    ("fingerprint", corpus_fingerprint(corpus_dir)),
                    ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                ],
            )
            conn.commit()
            if report.rebuilt:  # merging every segment pays off once; incremental builds leave it to crisis merges (FTS_SETTINGS)
                conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
                conn.commit()
        finally:
            conn.close()
        os.replace(temp, index_path)
    finally:
        temp.unlink(missing_ok=True)


def _update(
    conn: sqlite3.Connection,
    corpus_dir: Path,
    report: BuildReport,
    progress: Progress | None,
    postings: PostingsWriter,
    fts: FtsBatch,
) -> int:
    """Index what changed; returns how many stored postings the deleted episodes left dead."""
    dead = 0
    indexed = _indexed_sources(conn)
    folders = episode_folders(corpus_dir)
    seen: set[str] = set()
    for number, folder in enumerate(folders, start=1):
        key = folder.relative_to(corpus_dir).as_posix()
        seen.add(key)
        if progress is not None:
            progress(number, len(folders), key)
        try:
            current = _current_sources(corpus_dir, folder)
            previous = indexed.get(key)
            if previous is not None and _same_files(previous[1], current):
                report.unchanged += 1
                continue
            loaded = load_episode(folder, corpus_dir)
        except ParseError as exc:
            report.errors.append(exc)
            log.error("skipped %s: %s", key, exc)
            continue
        except CorpusError as exc:
            report.errors.append(ParseError(folder, None, str(exc)))
            continue
        clash = conn.execute("SELECT folder FROM episodes WHERE id = ? AND folder != ?", (loaded.episode.id, key)).fetchone()
        if clash is not None:
            report.errors.append(ParseError(folder / SIDECAR_NAME, None, f"episode id '{loaded.episode.id}' is already used by {clash[0]}"))
            continue
        conn.execute("SAVEPOINT episode")
        try:
            replaced, gone = _delete_episode(conn, previous[0]) if previous is not None else (0, [])
            rows = _insert_episode(conn, key, loaded.episode, postings)
        except CorpusError as exc:  # e.g. one language too many: the episode keeps its previous version
            conn.execute("ROLLBACK TO episode")
            conn.execute("RELEASE episode")
            report.errors.append(ParseError(folder, None, str(exc)))
            continue
        conn.execute("RELEASE episode")
        fts.delete(gone)
        fts.add(rows)
        dead += replaced
        postings.flush_if_full()
        fts.flush_if_full()
        # record every file of the folder (sidecar included) so an edit to any of them is seen
        pk = conn.execute("SELECT pk FROM episodes WHERE id = ?", (loaded.episode.id,)).fetchone()[0]
        conn.execute("DELETE FROM sources WHERE episode_pk = ?", (pk,))
        conn.executemany("INSERT INTO sources (episode_pk, path, sha256) VALUES (?, ?, ?)", [(pk, p, h) for p, h in current.items()])
        report.indexed.append(loaded.episode.id)
        report.differences += len(loaded.report.differences)
    for key, (pk, _) in indexed.items():
        if key not in seen:
            report.removed.append(key)
            left, gone = _delete_episode(conn, pk)
            dead += left
            fts.delete(gone)
    return dead


def _same_files(before: dict[str, str], now: dict[str, str]) -> bool:
    return before == now


def ensure_index(corpus_dir: Path, index_path: Path, *, progress: Progress | None = None) -> BuildReport | None:
    """Update the index if the corpus or the code changed since it was built; None when it was fresh.

    An index that is not a sound SQLite file with every table (truncated, overwritten,
    another program's database) is rebuilt from scratch rather than updated.
    """
    meta = read_meta(index_path)
    sound = index_ok(index_path)
    if sound and meta.get("fingerprint") == corpus_fingerprint(corpus_dir.resolve()) and meta.get("schema_version") == str(SCHEMA_VERSION):
        return None
    if index_path.exists() and not sound:
        log.warning("the index %s is damaged or not an index; rebuilding it", index_path)
    return build_index(corpus_dir, index_path, progress=progress, rebuild=not sound)


REQUIRED_TABLES = (
    "meta", "episodes", "sources", "speakers", "launches", "turns", "languages", "docs", "fts", "vocab", "postings", "postings_segments",
    "turn_arrays", "lexicon", "doc_lengths", "passages", "embeddings",
)


QUICK_CHECK_BYTES = 64 * 1024 * 1024
"""Indexes up to this size get SQLite's `quick_check` (it reads every page: ~1 s per 100 MB);
larger ones get the header check only, and a page damaged later fails its query with a clear error."""


def _header_sound(index_path: Path) -> bool:
    """A SQLite file whose header's page count times page size is the file's size (catches truncation)."""
    with index_path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[92:96] == header[24:28]  # the page count is trusted only when written by a recent SQLite
    return not valid or pages * page_size == index_path.stat().st_size


def index_ok(index_path: Path, required: Sequence[str] = REQUIRED_TABLES) -> bool:
    """True when the file is a sound SQLite database with every table of the schema (see QUICK_CHECK_BYTES)."""
    if not index_path.is_file():
        return False
    try:
        if not _header_sound(index_path):
            return False
        with closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as conn:
            if index_path.stat().st_size <= QUICK_CHECK_BYTES and conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                return False
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not set(required) <= tables:
                return False
            conn.execute("SELECT COUNT(*) FROM fts WHERE fts MATCH 'x'").fetchone()
            return True
    except (sqlite3.DatabaseError, OSError):
        return False


def _remove_stale_temps(index_path: Path) -> None:
    """Temp files left by a build that was killed (its process is gone)."""
    for temp in index_path.parent.glob(f".{index_path.name}.*.tmp"):
        pid = temp.name.removeprefix(f".{index_path.name}.").removesuffix(".tmp")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            temp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
