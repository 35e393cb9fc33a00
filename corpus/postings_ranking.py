"""Ranking from the postings arrays (`corpus.index.postings`): every match of a query at once.

Each phrase's documents, instances and lengths come from the postings (a phrase
of several terms from their positions), idf from the number of documents holding
the phrase, and a document's score is BM25 as SQLite's FTS5 sums it over the
phrases in query order (corpus.bm25), but with the document's length weighed
against its own episode's average length. Then, per turn, the best document
times the turn's length prior; then the re-ranking by exchanges
(`corpus.exchanges`); then the speaker and time filters; then the page. numpy
does each step over all the matches at once, so a query over words that tens
of thousands of turns hold costs milliseconds. The tests hold it to the
reference in tests/ranking_reference.py (scores, order, slots and totals).
"""

from __future__ import annotations

import ctypes
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from corpus.bm25 import K1, B, Phrase, average_length, idf
from corpus.exchanges import DEMOTE, INHERIT
from corpus.index.postings import LENGTHS, TURN_ARRAYS, TermPostings, alive, decode_rows, keep
from corpus.index.schema import SLOTS
from corpus.ranked import Ranked, TurnFilter
from corpus.recent import Recent
from corpus.store import CorpusStore

log = logging.getLogger(__name__)

# --- memory between queries ------------------------------------------------------------------
# A query on a large index allocates a few dozen arrays of a few megabytes each (the tuning is
# made when any index is first searched; on a small one it only keeps the heap at its peak). glibc serves
# allocations that large with mmap and unmaps them when freed, so every query faulted its arrays
# in again, page by page: 6,500 page faults and half the time of a common Korean query at
# 10,000 episodes. Raising glibc's mmap threshold to its maximum (32 MiB) and its trim threshold
# to 128 MiB lets the heap keep that memory for the next query. The peak is unchanged; the
# process just stays at it instead of shrinking after each query. Each heap keeps its own peak,
# so new heaps stop at ARENAS (threads that already had one keep it). Linux only; a no-op where
# the C library is not glibc.

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2  # threads share two heaps: each heap keeps its peak, so many worker threads must not mean many heaps
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 128 * 1024 * 1024


@cache
def keep_freed_memory() -> bool:
    """Tune glibc's allocator once per process; True when every setting took."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError, TypeError):  # no mallopt: not glibc (musl has a stub that refuses)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    taken = [mallopt(option, value) for option, value in (
        (M_ARENA_MAX, ARENAS), (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    )]
    log.debug("allocator settings taken: %s", taken)
    return all(taken)


Ints = npt.NDArray[np.int64]
IntT = TypeVar("IntT", np.int64, np.uint64)
Floats = npt.NDArray[np.float64]
_EMPTY = np.zeros(0, dtype=np.int64)
KEPT_PHRASES = 256  # the documents of the most recent phrases, each of at most KEPT_DOCUMENTS: 12 MB at most
KEPT_DOCUMENTS = 2048


@dataclass(frozen=True)
class TurnArrays:
    """What ranking reads of every turn, indexed by turn pk (weight 0.0: no such turn)."""

    weight: Floats
    question: npt.NDArray[np.int32]
    start: npt.NDArray[np.int32]
    speaker: npt.NDArray[np.int32]
    episode: npt.NDArray[np.int32]
    """The number of the turn's episode in `avgdl`."""
    avgdl: Floats
    """Per episode, the average length its documents are weighed against (corpus.bm25.average_length);
    NaN at the end, for pks without a turn, so that scoring one by mistake could never pass for a score."""
    speakers: dict[str, int]
    all_alive: bool
    """No postings of deleted turns are left in the segments: readers need not check."""
    recent: Recent[Phrase, PhraseDocs] = field(default_factory=lambda: Recent(KEPT_PHRASES), compare=False)
    """The documents of recent phrases that few documents hold (`phrase_docs`): reading and decoding
    their postings again is most of a query's time on a small index."""

    @classmethod
    def load(cls, store: CorpusStore) -> TurnArrays:
        """Read the arrays; from now on the process ranks from postings (keep_freed_memory)."""
        keep_freed_memory()
        stored: dict[str, bytes] = dict(store.rows("SELECT name, data FROM turn_arrays"))
        dead = store.rows("SELECT value FROM meta WHERE key = 'postings_dead'")
        return cls(
            np.frombuffer(stored["weight"], dtype=TURN_ARRAYS["weight"]).astype(np.float64, copy=False),
            np.frombuffer(stored["question"], dtype=TURN_ARRAYS["question"]).astype(np.int32, copy=False),
            np.frombuffer(stored["start"], dtype=TURN_ARRAYS["start"]).astype(np.int32, copy=False),
            np.frombuffer(stored["speaker"], dtype=TURN_ARRAYS["speaker"]).astype(np.int32, copy=False),
            np.frombuffer(stored["episode"], dtype=TURN_ARRAYS["episode"]).astype(np.int32, copy=False),
            average_lengths(np.frombuffer(stored["documents"], dtype=LENGTHS), np.frombuffer(stored["tokens"], dtype=LENGTHS)),
            {name: code for code, name in enumerate(json.loads(stored["speakers"]))},
            all_alive=bool(dead) and dead[0][0] == "0",
        )


def episode_mask(arrays: TurnArrays, numbers: Sequence[int]) -> npt.NDArray[np.bool_]:
    """By episode number (as `TurnArrays.episode`): whether it is one of `numbers`."""
    mask = np.zeros(len(arrays.avgdl), dtype=bool)
    mask[np.asarray(numbers, dtype=np.int64)] = True
    return mask


def average_lengths(documents: npt.NDArray[np.int64], tokens: npt.NDArray[np.int64]) -> Floats:
    """`TurnArrays.avgdl` from the documents and tokens of each episode in each language slot (a
    block of SLOTS an episode; the last block is for pks without a turn)."""
    counts = documents.reshape(-1, SLOTS).sum(axis=1).tolist()
    held = tokens.reshape(-1, SLOTS).sum(axis=1).tolist()
    corpus = sum(held) / sum(counts) if sum(counts) else 1.0
    averages = np.array([average_length(c, t, corpus) for c, t in zip(counts, held, strict=True)], dtype=np.float64)
    averages[-1] = np.nan
    return averages


@dataclass(frozen=True)
class PhraseDocs:
    """The documents holding a phrase, its instances in each, and their token counts."""

    docs: Ints
    freqs: Ints
    lens: Ints


def _read(store: CorpusStore, where: str, params: Sequence[object], positions: bool) -> list[TermPostings]:
    """The postings of the terms the clause selects, each term's segments as one."""
    columns = "term, count, wide, docs, freqs, lens" + (", positions" if positions else "")
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in store.rows(f"SELECT {columns} FROM postings WHERE {where} ORDER BY term, segment", params):  # noqa: S608 - fixed clauses
        grouped.setdefault(row[0], []).append(row[1:])
    return [decode_rows(rows) for rows in grouped.values()]


def _union(sorted_arrays: Sequence[Ints]) -> tuple[Ints, Ints]:
    """The union of ascending arrays without repeats, and where each element of their
    concatenation sits in it. (A stable sort merges the runs; np.unique would hash.)"""
    joined = np.concatenate(sorted_arrays)
    order = np.argsort(joined, kind="stable")
    ordered = joined[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(joined), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _intersect(first: npt.NDArray[IntT], second: npt.NDArray[IntT]) -> npt.NDArray[IntT]:
    """The elements of two ascending arrays without repeats that are in both (a stable sort merges the two runs)."""
    joined = np.concatenate((first, second))
    joined.sort(kind="stable")
    both: npt.NDArray[IntT] = joined[1:][joined[1:] == joined[:-1]]
    return both


def _next_string(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def term_postings(store: CorpusStore, arrays: TurnArrays, term: str, prefix: bool, positions: bool) -> TermPostings:
    """The live postings of a term, or of every term it begins when `prefix`: then a document's
    instances are summed over the terms, as FTS5 counts a prefix phrase."""
    if prefix:
        parts = _read(store, "term >= ? AND term < ?", (term, _next_string(term)), positions)
    else:
        parts = _read(store, "term = ?", (term,), positions)
    if not arrays.all_alive:
        parts = [keep(p, alive(p.docs, arrays.weight)) for p in parts]
    if not parts:
        return TermPostings(_EMPTY, _EMPTY, _EMPTY, _EMPTY if positions else None)
    if len(parts) == 1:
        return parts[0]
    union, inverse = _union([p.docs for p in parts])
    freqs = np.bincount(inverse, weights=np.concatenate([p.freqs for p in parts]), minlength=len(union)).astype(np.int64)
    lens = np.empty(len(union), dtype=np.int64)
    lens[inverse] = np.concatenate([p.lens for p in parts])
    merged_positions = None
    if positions:
        # instances grouped by document, in any order within it (phrases match on (document, offset) pairs)
        owner = np.repeat(inverse, np.concatenate([p.freqs for p in parts]))
        order = np.argsort(owner, kind="stable")
        merged_positions = np.concatenate([p.positions for p in parts if p.positions is not None])[order]
    return TermPostings(union, freqs, lens, merged_positions)


def _keys(postings: TermPostings, ordered: bool) -> npt.NDArray[np.uint64]:
    """(document << 32) + offset of every instance of the term, ascending."""
    assert postings.positions is not None
    docs = np.repeat(postings.docs.view(np.uint64), postings.freqs)
    keys = (docs << np.uint64(32)) + postings.positions.view(np.uint64)
    if not ordered:
        keys.sort()  # a prefix's terms: each document's offsets come term by term
    return keys


def _within(postings: TermPostings, docs: Ints) -> TermPostings:
    """The postings of the documents `docs` (which all hold the term), with their positions."""
    wanted = np.zeros(len(postings.docs), dtype=bool)
    wanted[np.searchsorted(postings.docs, docs)] = True
    return keep(postings, wanted)


def phrase_docs(store: CorpusStore, arrays: TurnArrays, phrase: Phrase) -> PhraseDocs:
    """Where the phrase occurs (`_phrase_docs`), kept for the next queries when few documents hold it."""
    found = arrays.recent.get(phrase)
    if found is None:
        found = _phrase_docs(store, arrays, phrase)
        if len(found.docs) <= KEPT_DOCUMENTS:
            for kept in (found.docs, found.freqs, found.lens):
                kept.setflags(write=False)  # shared by the queries to come, in any thread
            arrays.recent.put(phrase, found)
    return found


def _phrase_docs(store: CorpusStore, arrays: TurnArrays, phrase: Phrase) -> PhraseDocs:
    """Where the phrase occurs: every start offset where its terms follow one another (overlaps
    count, as in FTS5); a one-term phrase is the term's postings.

    Candidate starts come from the rarest term (its offsets less its place in the phrase); each
    other term keeps the starts it also occupies at start + its place. A start nearer a document's
    beginning than the rarest term's place wraps below the document's keys, where no instance of
    term number 0 can be, so it never survives."""
    if len(phrase.terms) == 1:
        found = term_postings(store, arrays, phrase.terms[0], phrase.prefix, positions=False)
        return PhraseDocs(found.docs, found.freqs, found.lens)
    last = len(phrase.terms) - 1
    places = [(term, phrase.prefix and i == last) for i, term in enumerate(phrase.terms)]
    read = {key: term_postings(store, arrays, *key, positions=True) for key in dict.fromkeys(places)}  # a repeated term: once
    rarest = sorted(range(len(places)), key=lambda i: len(read[places[i]].docs))
    both = read[places[rarest[0]]].docs
    for key in set(places) - {places[rarest[0]]}:
        both = _intersect(both, read[key].docs)
    if len(both) == 0:
        return PhraseDocs(_EMPTY, _EMPTY, _EMPTY)
    if 2 * len(both) < len(read[places[rarest[0]]].docs):  # words that seldom meet: those documents only
        read = {key: _within(postings, both) for key, postings in read.items()}
    keys = {key: _keys(postings, ordered=not key[1]) for key, postings in read.items()}
    starts = keys[places[rarest[0]]] - np.uint64(rarest[0])
    for i in rarest[1:]:
        held = keys[places[i]]
        probe = starts + np.uint64(i)
        if 8 * len(probe) > len(held):  # sizes alike: merge the two sorted runs
            starts = _intersect(probe, held) - np.uint64(i)
        else:  # few starts left: look each one up
            at = np.minimum(np.searchsorted(held, probe), len(held) - 1)
            starts = starts[held[at] == probe]
        if len(starts) == 0:
            return PhraseDocs(_EMPTY, _EMPTY, _EMPTY)
    docs = (starts >> np.uint64(32)).astype(np.int64)
    first = np.ones(len(docs), dtype=bool)
    first[1:] = docs[1:] != docs[:-1]
    bounds = np.flatnonzero(first)
    held_docs = docs[bounds]
    counts = np.diff(np.append(bounds, len(docs)))
    lens = read[places[0]].lens[np.searchsorted(read[places[0]].docs, held_docs)]
    return PhraseDocs(held_docs, counts.astype(np.int64), lens)


@dataclass(frozen=True)
class Scored:
    """Every matching turn that passes the filters: pks ascending, the language slot of its best
    document, and its score (lower is better: minus its relevance after re-ranking)."""

    pks: Ints
    slots: Ints
    score: Floats
    held: dict[Phrase, int] = field(default_factory=dict)
    """How many documents hold each phrase of the query (before any filter): idf's counts."""

    def __len__(self) -> int:
        return len(self.pks)


_NONE = Scored(_EMPTY, _EMPTY, np.zeros(0, dtype=np.float64))


def reranked_from_postings(
    store: CorpusStore, phrases: Sequence[Phrase], wanted: TurnFilter, span: tuple[int, int] | None, limit: int, offset: int = 0
) -> tuple[list[Ranked], int]:
    """The page [offset, offset + limit) of the matching turns re-ranked by exchanges, and their number."""
    scored = scored_turns(store, phrases, wanted, span)
    return page(scored, limit, offset), len(scored)


def page(scored: Scored, limit: int, offset: int = 0) -> list[Ranked]:
    """The page [offset, offset + limit) of the scored turns, best first (a negative limit: all from offset)."""
    pks, slots, score = scored.pks, scored.slots, scored.score
    count = len(pks)
    need = count if limit < 0 else min(count, offset + limit)
    if need <= 0:
        return []
    if need < count:
        cut = np.partition(score, need - 1)[need - 1]
        near = np.flatnonzero(score <= cut)
        pks, slots, score = pks[near], slots[near], score[near]
    order = np.lexsort((pks, score))[:need][offset:]
    return [Ranked(float(score[i]), int(pks[i]), int(slots[i])) for i in order]


def scored_turns(store: CorpusStore, phrases: Sequence[Phrase], wanted: TurnFilter, span: tuple[int, int] | None) -> Scored:
    """Every matching turn, scored and re-ranked by exchanges, that passes the filters."""
    arrays = store.turn_arrays
    rows, _ = store.fts_totals
    if rows == 0 or not phrases:
        return _NONE
    weights = arrays.weight
    found = [phrase_docs(store, arrays, p) for p in phrases]
    held = {p: len(f.docs) for p, f in zip(phrases, found, strict=True)}
    docs, inverse = _union([f.docs for f in found])
    # each document's length against its episode's average: K1 * (1 - B + B * D / avgdl), once a document
    lengths = np.empty(len(docs), dtype=np.float64)
    lengths[inverse] = np.concatenate([f.lens for f in found])
    norm = K1 * (1 - B + B * lengths / arrays.avgdl[arrays.episode[docs // SLOTS]])
    total = np.zeros(len(docs), dtype=np.float64)
    done = 0
    for phrase in found:
        freqs = phrase.freqs.astype(np.float64)
        at = inverse[done : done + len(freqs)]
        total[at] += idf(rows, len(freqs)) * ((freqs * (K1 + 1.0)) / (freqs + norm[at]))  # phrase by phrase, in query order: FTS5's sum
        done += len(freqs)
    wanted_docs = np.ones(len(docs), dtype=bool)
    if wanted.slot is not None:
        wanted_docs &= (docs % SLOTS) == wanted.slot
    if span is not None:
        wanted_docs &= (docs >= span[0]) & (docs <= span[1])
    if wanted.episodes is not None:  # an episode filter, as the span: a question and its answer share an episode
        wanted_docs &= episode_mask(arrays, wanted.episodes)[arrays.episode[docs // SLOTS]]
    docs, total = docs[wanted_docs], total[wanted_docs]
    if len(docs) == 0:
        return Scored(_NONE.pks, _NONE.slots, _NONE.score, held)
    turns = docs // SLOTS
    value = (-1.0 * total) * weights[turns]  # FTS5's sign (lower is better) times the length prior
    # per turn (documents of a turn are adjacent), its best document: the lowest value, the first on a tie
    first = np.ones(len(turns), dtype=bool)
    first[1:] = turns[1:] != turns[:-1]
    bounds = np.flatnonzero(first)
    best = np.minimum.reduceat(value, bounds)
    owner = np.cumsum(first) - 1
    candidates = np.flatnonzero(value == best[owner])
    chosen = candidates[np.concatenate(([True], owner[candidates][1:] != owner[candidates][:-1]))]
    pks = turns[chosen]
    slots = docs[chosen] % SLOTS
    relevance = -best
    # re-ranking by exchanges: an answer inherits INHERIT of its matching question's relevance; a matching question is demoted
    questions = arrays.question[pks]
    answers = np.flatnonzero(questions >= 0)
    at = np.minimum(np.searchsorted(pks, questions[answers]), len(pks) - 1)
    matched = pks[at] == questions[answers]
    handed = np.zeros(len(pks), dtype=np.float64)
    handed[answers[matched]] = relevance[at[matched]]
    asked = np.zeros(len(pks), dtype=bool)
    asked[at[matched]] = True
    score = -((relevance + INHERIT * handed) * np.where(asked, DEMOTE, 1.0))
    late = np.ones(len(pks), dtype=bool)
    if wanted.speaker is not None:
        code = arrays.speakers.get(wanted.speaker)
        late &= arrays.speaker[pks] == (code if code is not None else -2)
    if wanted.start is not None:
        late &= arrays.start[pks] >= wanted.start
    if wanted.end is not None:
        late &= arrays.start[pks] <= wanted.end
    return Scored(pks[late], slots[late], score[late], held)
