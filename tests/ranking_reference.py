"""The ranking as one SQL statement, and the re-ranking rule in plain Python: the references
both ranking paths are held to.

Every match's FTS5 `bm25()` times its turn's length prior; per turn the best
document; then the re-ranking by exchanges (corpus.exchanges) with the same
operations in the same order; the speaker and time filters last. The server
never runs this (FTS5 scores one row at a time: too slow on a large index);
`corpus.ranking.reranked_in_memory` and `corpus.postings_ranking` must give
exactly its scores, order, language slots and totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from corpus.exchanges import DEMOTE, INHERIT
from corpus.ranked import Ranked, TurnFilter
from corpus.ranking import Matching
from corpus.store import CorpusStore


def _late_clauses(params: dict[str, object], wanted: TurnFilter) -> list[str]:
    clauses = []
    if wanted.speaker is not None:
        clauses.append("t.speaker = :speaker")
        params["speaker"] = wanted.speaker
    if wanted.start is not None:
        clauses.append("t.start_seconds >= :start")
        params["start"] = wanted.start
    if wanted.end is not None:
        clauses.append("t.start_seconds <= :end")
        params["end"] = wanted.end
    return clauses


def reranked_page(store: CorpusStore, matching: Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int]:
    """A page of the matching turns re-ranked by exchanges, and their number (a negative limit: all)."""
    params: dict[str, object] = {"match": matching.match, "limit": limit, "offset": offset, "inherit": INHERIT, "demote": DEMOTE}
    rows = ["fts MATCH :match"]
    if matching.span is not None:
        rows.append("fts.rowid BETWEEN :low AND :high")
        params["low"], params["high"] = matching.span
    if matching.wanted.slot is not None:
        rows.append("(fts.rowid & 7) = :slot")
        params["slot"] = matching.wanted.slot
    late = _late_clauses(params, matching.wanted)
    sql = (
        f"WITH m AS MATERIALIZED (SELECT fts.rowid AS doc, bm25(fts) AS rank FROM fts WHERE {' AND '.join(rows)}), "
        "s AS MATERIALIZED (SELECT t.pk AS pk, -MIN(m.rank * t.weight) AS rel, m.doc & 7 AS slot, t.answers AS question, "
        "t.speaker AS speaker, t.start_seconds AS start_seconds FROM m JOIN turns t ON t.pk = m.doc >> 3 GROUP BY t.pk), "
        "asked AS MATERIALIZED (SELECT DISTINCT question FROM s WHERE question IS NOT NULL) "
        "SELECT -((t.rel + :inherit * COALESCE(q.rel, 0.0)) * CASE WHEN t.pk IN asked THEN :demote ELSE 1.0 END) AS score, "
        "t.pk, t.slot FROM s AS t LEFT JOIN s AS q ON q.pk = t.question "
        f"{'WHERE ' + ' AND '.join(late) if late else ''} ORDER BY score, t.pk"
    )
    found = [Ranked(score, pk, slot) for score, pk, slot in store.rows(sql, params)]
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
