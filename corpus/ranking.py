"""The order of a search's hits: BM25, then re-ranked by exchanges (corpus.exchanges).

Re-ranking needs every matching turn (a turn far down the BM25 order can climb
by what its question hands on), so every match of every query is scored:
- a small index (the bundled episode) asks FTS5 for its matches and their
  `bm25()` and re-ranks them in Python over turn facts held in memory;
- a large one scores all the matches at once from its postings arrays
  (`corpus.postings_ranking`), which costs milliseconds where FTS5's
  `bm25()` would cost microseconds a match.
Both give the same scores, order and totals (the tests hold them to the SQL
statement in tests/ranking_reference.py). The speaker and time filters apply
after the re-ranking, so a question they drop still hands its score on and a
filter never reorders; the language and episode filters apply before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase
from corpus.exchanges import DEMOTE, INHERIT
from corpus.ranked import Ranked, TurnFilter
from corpus.store import CorpusStore


@dataclass(frozen=True)
class Matching:
    """What a search matches: the FTS5 expression, the same as phrases, and the filters."""

    match: str
    phrases: Sequence[Phrase]
    wanted: TurnFilter
    span: tuple[int, int] | None = None
    """A document pk range: one episode's documents."""


def ranked_turns(store: CorpusStore, matching: Matching, offset: int, limit: int) -> tuple[list[Ranked], int]:
    """The page [offset, offset + limit) of the matching turns, best first, and the number of matching turns."""
    if store.small:
        return reranked_in_memory(store, matching, limit, offset)
    from corpus.postings_ranking import reranked_from_postings  # numpy: loaded for large indexes only

    return reranked_from_postings(store, matching.phrases, matching.wanted, matching.span, limit, offset)


def reranked_in_memory(store: CorpusStore, matching: Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int]:
    """The matches FTS5 finds, with its `bm25()`, re-ranked in Python over the turn facts held in
    memory. The same operations on the same doubles as the reference SQL statement (SQLite
    multiplies and adds IEEE doubles as Python does), so the same scores, order and number. A
    negative limit means no limit, as in SQL. When a turn's two languages score exactly the same,
    the first document (the lower slot) names the language."""
    clauses = ["fts MATCH :match"]
    params: dict[str, object] = {"match": matching.match}
    if matching.span is not None:
        clauses.append("fts.rowid BETWEEN :low AND :high")
        params["low"], params["high"] = matching.span
    if matching.wanted.slot is not None:
        clauses.append("(fts.rowid & 7) = :slot")
        params["slot"] = matching.wanted.slot
    facts = store.turn_facts
    relevance: dict[int, float] = {}
    slots: dict[int, int] = {}
    for doc, rank in store.rows(f"SELECT fts.rowid, bm25(fts) FROM fts WHERE {' AND '.join(clauses)}", params):  # noqa: S608 - fixed clauses
        pk = doc >> 3
        if pk not in facts:
            continue  # a document without its turn: the SQL join drops it too
        value = rank * facts[pk].weight
        held = relevance.get(pk)
        if held is None or value < held:
            relevance[pk], slots[pk] = value, doc & 7
    asked = {facts[pk].question for pk in relevance} - {None}
    wanted = matching.wanted
    scored = []
    for pk, value in relevance.items():
        turn = facts[pk]
        if not wanted.accepts(turn.speaker, turn.start_seconds):
            continue
        handed = relevance.get(turn.question) if turn.question is not None else None
        score = (-value + INHERIT * (-handed if handed is not None else 0.0)) * (DEMOTE if pk in asked else 1.0)
        scored.append(Ranked(-score, pk, slots[pk]))
    scored.sort(key=lambda r: (r.score, r.turn_pk))
    page = scored[offset:] if limit < 0 else scored[offset : offset + limit]
    return page, len(scored)
