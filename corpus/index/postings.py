"""Postings: for every index term, the documents holding it, how often, their lengths, and where.

FTS5 answers "which documents match" quickly, but ranking a query over words
common across a large corpus makes it run `bm25()` on every match, one row at a
time (about 4 µs a row). The postings hold the same statistics as arrays, so
search scores every match of a query at once with numpy (`corpus.postings_ranking`),
with FTS5's formula and FTS5's order of double operations (corpus.bm25).

A row of the `postings` table holds one term's postings in one segment:
`docs` (document pks, ascending, little-endian uint32), `freqs` (instances of
the term in each), `lens` (each document's token count) and `positions` (the
token offsets of every instance, document after document). `freqs`, `lens` and
`positions` are uint16, or uint32 when the row's longest document has more than
65,535 tokens (`wide`).

Each build appends segments (one per FLUSH_TOKENS tokens indexed) holding the
documents it added, and documents only ever get higher pks than those before
them (turns.pk is AUTOINCREMENT), so a term's rows read in segment order are
in document order. Documents of deleted episodes stay in the rows until a
merge (meta `postings_dead` counts them), and readers drop every posting whose
turn is gone (`turn_arrays`). A merge rewrites consecutive segments as one,
without the dead postings: after a build, the smallest neighbours merge until
at most MAX_SEGMENTS are left; a build from scratch, or one that leaves a
quarter of the postings dead, merges them all.

`turn_arrays` holds, per turn pk, what ranking reads of a turn (length prior,
the question it answers, start time, speaker, its episode's number), and per
episode and language slot the documents and their tokens (`doc_lengths`),
rewritten by every build that changes something: search then needs no SQL per
matching turn.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.errors import CorpusError
from corpus.index.schema import SLOTS

FLUSH_TOKENS = 4_000_000
"""Tokens gathered before a segment is written (about 100 MB of build memory)."""
MAX_SEGMENTS = 8
NARROW = np.dtype("<u2")
WIDE = np.dtype("<u4")
DOCS = np.dtype("<u4")
MAX_DOC = 2**32 - 1


@dataclass(frozen=True)
class TermPostings:
    """One term's live postings, in document order (positions only when asked for)."""

    docs: npt.NDArray[np.int64]
    freqs: npt.NDArray[np.int64]
    lens: npt.NDArray[np.int64]
    positions: npt.NDArray[np.int64] | None = None
    """Every instance's token offset, document after document (`freqs` of them each)."""


def _encode(values: npt.NDArray[np.integer], dtype: np.dtype[np.unsignedinteger]) -> bytes:
    return values.astype(dtype, copy=False).tobytes()


class PostingsWriter:
    """Gathers the tokens of the documents a build adds; writes them as segments."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        row = conn.execute("SELECT MAX(segment) FROM postings_segments").fetchone()
        self.segment = (row[0] if row[0] is not None else -1) + 1
        self.last_doc = -1
        self._reset()

    def _reset(self) -> None:
        self._ids: dict[str, int] = {}
        self._term_ids = array("i")
        self._docs = array("I")
        self._positions = array("I")
        self._doc_pks = array("I")
        self._doc_lens = array("I")

    def add(self, documents: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Documents (pk, index terms in order), in ascending pk order and after every document
        added before; all are checked before any is taken, so a refused batch leaves nothing behind."""
        previous = self.last_doc
        for doc, _ in documents:
            if doc <= previous:
                raise CorpusError(f"postings: document {doc} added after {previous}; pks must only grow")
            previous = doc
        if previous > MAX_DOC:
            raise CorpusError(f"postings: document pk {previous} does not fit the index's 32-bit document numbers")
        ids = self._ids
        for doc, tokens in documents:
            count = len(tokens)
            self._term_ids.extend([ids.setdefault(token, len(ids)) for token in tokens])
            self._docs.extend([doc] * count)
            self._positions.extend(range(count))
            self._doc_pks.append(doc)
            self._doc_lens.append(count)
        self.last_doc = previous

    def flush_if_full(self) -> None:
        """Write a segment once FLUSH_TOKENS tokens are gathered (between episodes, never inside one)."""
        if len(self._term_ids) >= FLUSH_TOKENS:
            self.flush()

    def flush(self) -> None:
        """Write what was gathered as one new segment."""
        if not self._term_ids:
            self._reset()
            return
        terms = list(self._ids)
        term_ids = np.frombuffer(self._term_ids, dtype=np.int32)
        order = np.argsort(term_ids, kind="stable")  # documents and positions arrive in order: stable keeps it
        term_ids = term_ids[order]
        docs = np.frombuffer(self._docs, dtype=np.uint32)[order]
        positions = np.frombuffer(self._positions, dtype=np.uint32)[order]
        first = np.ones(len(term_ids), dtype=bool)
        first[1:] = (term_ids[1:] != term_ids[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)  # one posting per (term, document)
        posting_terms = term_ids[starts]
        posting_docs = docs[starts]
        freqs = np.diff(np.append(starts, len(term_ids)))
        doc_pks = np.frombuffer(self._doc_pks, dtype=np.uint32)
        lens = np.frombuffer(self._doc_lens, dtype=np.uint32)[np.searchsorted(doc_pks, posting_docs)]
        term_first = np.ones(len(posting_terms), dtype=bool)
        term_first[1:] = posting_terms[1:] != posting_terms[:-1]
        bounds = np.append(np.flatnonzero(term_first), len(posting_terms))
        instance_bounds = np.append(starts, len(term_ids))

        def rows() -> Iterator[tuple[object, ...]]:
            for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                row_lens = lens[low:high]
                dtype = WIDE if int(row_lens.max()) > 0xFFFF else NARROW
                yield (
                    terms[int(posting_terms[low])], self.segment, high - low, int(dtype == WIDE),
                    _encode(posting_docs[low:high], DOCS), _encode(freqs[low:high], dtype), _encode(row_lens, dtype),
                    _encode(positions[int(instance_bounds[low]) : int(instance_bounds[high])], dtype),
                )

        self.conn.executemany(
            "INSERT INTO postings (term, segment, count, wide, docs, freqs, lens, positions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows()
        )
        self.conn.execute(
            "INSERT INTO postings_segments (segment, postings) VALUES (?, ?)", (self.segment, len(starts))
        )
        self.segment += 1
        self._reset()


def decode(count: int, wide: int, docs: bytes, freqs: bytes, lens: bytes, positions: bytes | None = None) -> TermPostings:
    """One stored row, as int64 arrays."""
    dtype = WIDE if wide else NARROW
    return TermPostings(
        np.frombuffer(docs, dtype=DOCS, count=count).astype(np.int64),
        np.frombuffer(freqs, dtype=dtype, count=count).astype(np.int64),
        np.frombuffer(lens, dtype=dtype, count=count).astype(np.int64),
        None if positions is None else np.frombuffer(positions, dtype=dtype).astype(np.int64),
    )


def decode_rows(rows: Sequence[Sequence[Any]]) -> TermPostings:
    """One term's rows of consecutive segments, in segment order, as one (`decode`'s columns; they
    are in document order already). Rows of one width are joined before converting: one copy."""
    if len(rows) == 1:
        return decode(*rows[0])
    if len({row[1] for row in rows}) == 1:
        joined = [b"".join(row[column] for row in rows) for column in range(2, len(rows[0]))]
        return decode(sum(row[0] for row in rows), rows[0][1], *joined)
    parts = [decode(*row) for row in rows]
    positions = [p.positions for p in parts]
    return TermPostings(
        np.concatenate([p.docs for p in parts]),
        np.concatenate([p.freqs for p in parts]),
        np.concatenate([p.lens for p in parts]),
        None if any(p is None for p in positions) else np.concatenate(positions),  # type: ignore[arg-type]
    )


def keep(postings: TermPostings, wanted: npt.NDArray[np.bool_]) -> TermPostings:
    """The postings where `wanted` is True (their positions too)."""
    if bool(wanted.all()):
        return postings
    positions = None
    if postings.positions is not None:
        positions = postings.positions[np.repeat(wanted, postings.freqs)]
    return TermPostings(postings.docs[wanted], postings.freqs[wanted], postings.lens[wanted], positions)


def alive(docs: npt.NDArray[np.int64], weights: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Whether each document's turn still exists (a deleted turn's weight is 0)."""
    turns = docs // SLOTS
    inside = turns < len(weights)
    found = np.zeros(len(docs), dtype=bool)
    found[inside] = weights[turns[inside]] > 0.0
    return found


def merge(conn: sqlite3.Connection, segments: Sequence[int], weights: npt.NDArray[np.float64]) -> None:
    """Rewrite consecutive segments as one (the first's number), without the postings of deleted turns."""
    if not segments:
        return
    into = segments[0]
    marks = ", ".join("?" * len(segments))
    terms = [row[0] for row in conn.execute(f"SELECT DISTINCT term FROM postings WHERE segment IN ({marks})", segments)]  # noqa: S608
    total = 0
    for term in terms:
        rows = conn.execute(
            f"SELECT count, wide, docs, freqs, lens, positions FROM postings WHERE term = ? AND segment IN ({marks}) ORDER BY segment",  # noqa: S608
            (term, *segments),
        ).fetchall()
        postings = decode_rows(rows)
        postings = keep(postings, alive(postings.docs, weights))
        conn.execute(f"DELETE FROM postings WHERE term = ? AND segment IN ({marks})", (term, *segments))  # noqa: S608
        if len(postings.docs) == 0:
            continue
        assert postings.positions is not None
        dtype = WIDE if int(postings.lens.max()) > 0xFFFF else NARROW
        conn.execute(
            "INSERT INTO postings (term, segment, count, wide, docs, freqs, lens, positions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (term, into, len(postings.docs), int(dtype == WIDE), _encode(postings.docs, DOCS), _encode(postings.freqs, dtype),
             _encode(postings.lens, dtype), _encode(postings.positions, dtype)),
        )
        total += len(postings.docs)
    conn.execute(f"DELETE FROM postings_segments WHERE segment IN ({marks})", segments)  # noqa: S608
    if total:
        conn.execute("INSERT INTO postings_segments (segment, postings) VALUES (?, ?)", (into, total))


def tidy(conn: sqlite3.Connection, weights: npt.NDArray[np.float64], dead: int, *, whole: bool = False) -> None:
    """After a build that left `dead` more postings of deleted turns: merge every segment when
    `whole` (a build from scratch: one pass, and queries read one row a term) or when the dead
    postings are a quarter of all or more; else merge the smallest pair of neighbours until at
    most MAX_SEGMENTS are left."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'postings_dead'").fetchone()
    dead += int(row[0]) if row is not None else 0
    sizes = conn.execute("SELECT segment, postings FROM postings_segments ORDER BY segment").fetchall()
    if (whole and len(sizes) > 1) or (dead and dead * 4 >= sum(size for _, size in sizes)):
        merge(conn, [segment for segment, _ in sizes], weights)
        dead = 0
    while len(sizes := conn.execute("SELECT segment, postings FROM postings_segments ORDER BY segment").fetchall()) > MAX_SEGMENTS:
        at = min(range(len(sizes) - 1), key=lambda i: sizes[i][1] + sizes[i + 1][1])
        merge(conn, [sizes[at][0], sizes[at + 1][0]], weights)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('postings_dead', ?)", (str(dead),))


# --- per-turn arrays ------------------------------------------------------------------------

TURN_ARRAYS: dict[str, np.dtype[Any]] = {
    "weight": np.dtype("<f8"), "question": np.dtype("<i4"), "start": np.dtype("<i4"), "speaker": np.dtype("<i4"),
    "episode": np.dtype("<i4"),
}
LENGTHS = np.dtype("<i8")
"""`turn_arrays.documents` and `.tokens`: at [episode number * SLOTS + slot], from `doc_lengths`."""


def write_turn_arrays(conn: sqlite3.Connection) -> npt.NDArray[np.float64]:
    """Rewrite `turn_arrays` from the turns, episodes and doc_lengths tables; returns the weights
    (0.0 where no turn has the pk). A turn's `episode` numbers its episode in the episodes' pk
    order; a pk without a turn gets one past the last, whose block of lengths is all zero."""
    size = (conn.execute("SELECT MAX(pk) FROM turns").fetchone()[0] or 0) + 1
    numbers = {pk: n for n, (pk,) in enumerate(conn.execute("SELECT pk FROM episodes ORDER BY pk"))}
    arrays = {name: np.zeros(size, dtype=dtype) for name, dtype in TURN_ARRAYS.items()}
    arrays["question"][:] = -1
    arrays["episode"][:] = len(numbers)
    documents = np.zeros((len(numbers) + 1) * SLOTS, dtype=LENGTHS)
    tokens = np.zeros((len(numbers) + 1) * SLOTS, dtype=LENGTHS)
    for episode_pk, slot, count, held in conn.execute("SELECT episode_pk, slot, documents, tokens FROM doc_lengths"):
        documents[numbers[episode_pk] * SLOTS + slot] = count
        tokens[numbers[episode_pk] * SLOTS + slot] = held
    speakers: dict[str, int] = {}
    cursor = conn.execute("SELECT pk, weight, COALESCE(answers, -1), start_seconds, speaker, episode_pk FROM turns")
    while batch := cursor.fetchmany(50_000):
        pks, weights, questions, starts, names, episode_pks = zip(*batch, strict=True)
        at = np.array(pks, dtype=np.int64)
        arrays["weight"][at] = weights
        arrays["question"][at] = questions
        arrays["start"][at] = starts
        arrays["speaker"][at] = [speakers.setdefault(name, len(speakers)) for name in names]
        arrays["episode"][at] = [numbers[pk] for pk in episode_pks]
    conn.execute("DELETE FROM turn_arrays")
    stored = [(name, a.tobytes()) for name, a in arrays.items()]
    stored += [("documents", documents.tobytes()), ("tokens", tokens.tobytes()), ("speakers", json.dumps(list(speakers)).encode())]
    conn.executemany("INSERT INTO turn_arrays (name, data) VALUES (?, ?)", stored)
    weight: npt.NDArray[np.float64] = arrays["weight"]
    return weight
