"""The ranking written out plainly, from FTS5's own data: the reference the server's ranking
(corpus.postings_ranking) is held to, and the re-ranking rule on its own.

`reranked_page`: which documents match, FTS5 says (`MATCH`); each phrase's
instances come from FTS5's `fts5vocab` instance table (a phrase: starts where
its terms follow one another), each document's length from `fts_docsize`; the
BM25 arithmetic of corpus.bm25 (the average length of the document's episode,
pulled towards the corpus-wide average) in plain Python; per turn the best document times the turn's length
prior, the lower language slot on a tie; then the re-ranking by exchanges;
then the speaker and time filters. Nothing here reads the postings.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Literal

from corpus.bm25 import PRIOR_DOCUMENTS, Phrase, read_varint
from corpus.exchanges import DEMOTE, INHERIT
from corpus.ranked import Ranked
from corpus.ranking import Matching
from corpus.store import CorpusStore

K1, B = 1.2, 0.75  # FTS5's bm25() defaults


def _connect(store: CorpusStore) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    conn.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, 'fts', 'instance')")
    return conn


def _instances(conn: sqlite3.Connection, term: str, prefix: bool) -> set[tuple[int, int]]:
    """(document, offset) of every token that is the term (or begins with it)."""
    if prefix:
        sql, params = "SELECT doc, offset FROM instances WHERE substr(term, 1, length(?1)) = ?1", (term,)
    else:
        sql, params = "SELECT doc, offset FROM instances WHERE term = ?", (term,)
    return {(doc, offset) for doc, offset in conn.execute(sql, params)}


def phrase_counts(conn: sqlite3.Connection, phrase: Phrase) -> Counter[int]:
    """Instances of the phrase per document: every start where its terms follow one another."""
    last = len(phrase.terms) - 1
    held = [_instances(conn, term, phrase.prefix and i == last) for i, term in enumerate(phrase.terms)]
    return Counter(doc for doc, at in held[0] if all((doc, at + i) in held[i] for i in range(1, len(held))))


def document_lengths(conn: sqlite3.Connection) -> dict[int, int]:
    """Every FTS5 row's token count, as FTS5 stores it for bm25()."""
    return {doc: read_varint(bytes(size), 0)[0] for doc, size in conn.execute("SELECT id, sz FROM fts_docsize")}


def episode_averages(conn: sqlite3.Connection, lengths: Mapping[int, int]) -> dict[int, float]:
    """Document pk -> the average length of its episode's documents, with PRIOR_DOCUMENTS documents
    of the corpus-wide average added (corpus.bm25)."""
    episode_of = dict(conn.execute("SELECT pk, episode_pk FROM turns"))
    rows: Counter[int] = Counter()
    tokens: Counter[int] = Counter()
    for doc, length in lengths.items():
        rows[episode_of[doc >> 3]] += 1
        tokens[episode_of[doc >> 3]] += length
    corpus = sum(tokens.values()) / sum(rows.values())
    average = {episode: (tokens[episode] + PRIOR_DOCUMENTS * corpus) / (rows[episode] + PRIOR_DOCUMENTS) for episode in rows}
    return {doc: average[episode_of[doc >> 3]] for doc in lengths}


def bm25(store: CorpusStore, phrases: Sequence[Phrase], *, average: Literal["episode", "corpus"] = "episode") -> dict[int, float]:
    """Document pk -> minus the BM25 sum (FTS5's sign: lower is better), for the documents that hold
    a phrase. average="corpus": one corpus-wide average length for every document, i.e. FTS5's own
    `bm25()`."""
    with closing(_connect(store)) as conn:
        lengths = document_lengths(conn)
        rows = len(lengths)
        if average == "episode":
            averages = episode_averages(conn, lengths)
        else:
            whole = sum(lengths.values()) / rows
            averages = dict.fromkeys(lengths, whole)
        total: dict[int, float] = {}
        for phrase in phrases:
            counts = phrase_counts(conn, phrase)
            idf = math.log((rows - len(counts) + 0.5) / (len(counts) + 0.5))
            idf = idf if idf > 0.0 else 1e-6
            for doc in sorted(counts):
                f = float(counts[doc])
                part = idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * float(lengths[doc]) / averages[doc])))
                total[doc] = total.get(doc, 0.0) + part
    return {doc: -value for doc, value in total.items()}


@dataclass(frozen=True)
class TurnRow:
    weight: float
    question: int | None
    speaker: str
    start: int


def turn_rows(store: CorpusStore) -> dict[int, TurnRow]:
    return {
        pk: TurnRow(weight, question, speaker, start)
        for pk, weight, question, speaker, start in store.rows("SELECT pk, weight, answers, speaker, start_seconds FROM turns")
    }


def reranked_page(store: CorpusStore, matching: Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int]:
    """A page of the matching turns re-ranked by exchanges, and their number (a negative limit: all)."""
    clauses = ["fts MATCH :match"]
    params: dict[str, object] = {"match": matching.match}
    if matching.span is not None:
        clauses.append("rowid BETWEEN :low AND :high")
        params["low"], params["high"] = matching.span
    if matching.wanted.slot is not None:
        clauses.append("(rowid & 7) = :slot")
        params["slot"] = matching.wanted.slot
    matched = sorted(doc for (doc,) in store.rows(f"SELECT rowid FROM fts WHERE {' AND '.join(clauses)}", params))
    scores = bm25(store, matching.phrases)
    low, high = matching.span if matching.span is not None else (0, 1 << 62)
    scored = [d for d in scores if low <= d <= high and (matching.wanted.slot is None or d & 7 == matching.wanted.slot)]
    assert sorted(scored) == matched, "the phrases and the FTS5 expression match different documents"
    turns = turn_rows(store)
    best: dict[int, tuple[float, int]] = {}  # turn pk -> (value, slot)
    for doc in matched:
        pk = doc >> 3
        if pk not in turns:
            continue
        value = scores[doc] * turns[pk].weight
        if pk not in best or value < best[pk][0]:
            best[pk] = (value, doc & 7)
    relevance = {pk: -value for pk, (value, _) in best.items()}
    asked = {turns[pk].question for pk in relevance} - {None}
    found = []
    for pk, rel in relevance.items():
        turn = turns[pk]
        if not matching.wanted.accepts(turn.speaker, turn.start):
            continue
        handed = relevance.get(turn.question, 0.0) if turn.question is not None else 0.0
        score = -((rel + INHERIT * handed) * (DEMOTE if pk in asked else 1.0))
        found.append(Ranked(score, pk, best[pk][1]))
    found.sort(key=lambda r: (r.score, r.turn_pk))
    page = found[offset:] if limit < 0 else found[offset : offset + limit]
    return page, len(found)


@dataclass(frozen=True)
class Exchanges:
    """What re-ranking needs to know about a set of candidate turns, from all matching turns."""

    relevance: Mapping[int, float]
    """Relevance (higher is better) of every matching turn looked at."""
    question_of: Mapping[int, int]
    """Answer turn -> the question it answers, for the turns looked at."""


def rerank(candidates: Iterable[int], facts: Exchanges) -> list[tuple[int, float]]:
    """(turn_pk, relevance) of the candidates re-scored, best first (ties by turn_pk): an answer
    whose question matches gains INHERIT of the question's relevance; a question one of whose
    answers matches is scaled by DEMOTE (corpus.exchanges)."""
    answered = {question for answer, question in facts.question_of.items() if answer in facts.relevance}
    rescored: list[tuple[int, float]] = []
    for pk in candidates:
        score = facts.relevance[pk]
        question = facts.question_of.get(pk)
        if question is not None and question in facts.relevance:
            score += INHERIT * facts.relevance[question]
        if pk in answered:
            score *= DEMOTE
        rescored.append((pk, score))
    return sorted(rescored, key=lambda item: (-item[1], item[0]))
