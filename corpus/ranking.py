"""The order of a search's hits: BM25 (corpus.topk), re-ranked by exchanges where that is affordable.

Re-ranking (corpus.exchanges) needs every matching turn: a turn far down the BM25
order can climb by what its question hands on. So a query re-ranks (in one SQL
statement, or in memory for a small index) when its matches are few enough to score them all (`Matching.rerank`, decided from the
index's document frequencies, never from the filters or the page, so filtering
and paging keep one order). A query over words common across a large corpus
keeps the plain BM25 order, which the champion lists serve without scoring every
match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase
from corpus.exchanges import DEMOTE, INHERIT
from corpus.store import CorpusStore
from corpus.topk import Ranked, TurnFilter, ranked_page, sql_filters, top_turns, turn_clauses

CHAMPION_DEPTH = 100
"""Past this many turns, the champion lists are not asked (they hold 200 documents a term)."""


@dataclass(frozen=True)
class Matching:
    """What a search matches: the FTS5 expression, the same as phrases, the filters, and how to rank."""

    match: str
    phrases: Sequence[Phrase]
    wanted: TurnFilter
    span: tuple[int, int] | None = None
    """A rowid range: one episode's documents."""
    champions: bool = False
    """Whether the champion lists may serve the plain BM25 order (common terms, no episode filter)."""
    rerank: bool = True
    """Whether to re-rank by exchanges (every match is then scored: in SQL, or in memory for a small index)."""


def ranked_turns(store: CorpusStore, matching: Matching, offset: int, limit: int) -> tuple[list[Ranked], int | None]:
    """The page [offset, offset + limit) of the matching turns, best first, and the number of
    matching turns when the ranking query counted them (None otherwise)."""
    if matching.rerank:
        if store.small:
            return reranked_in_memory(store, matching, limit, offset)
        return reranked_page(store, matching, limit, offset)
    if matching.champions and offset + limit <= CHAMPION_DEPTH:
        best = top_turns(store, matching.phrases, matching.wanted, offset + limit)
        if best is not None:
            return best[offset:], None
    return ranked_page(store, matching.match, matching.wanted, matching.span, limit, offset)


def reranked_page(store: CorpusStore, matching: Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int | None]:
    """A page of the matching turns re-ranked by exchanges (corpus.exchanges.rerank, computed in
    SQL with the same operations in the same order, so the same doubles), and their number.

    Every match in the language and episode is scored; the speaker and time filters apply
    last, so a question they drop still hands its score on and a filter never reorders."""
    params: dict[str, object] = {"match": matching.match, "limit": limit, "offset": offset, "inherit": INHERIT, "demote": DEMOTE}
    rows, _ = sql_filters(params, TurnFilter(slot=matching.wanted.slot), matching.span)
    late = turn_clauses(params, TurnFilter(speaker=matching.wanted.speaker, start=matching.wanted.start, end=matching.wanted.end))
    sql = (
        f"WITH m AS MATERIALIZED (SELECT fts.rowid AS doc, bm25(fts) AS rank FROM fts WHERE {' AND '.join(rows)}), "  # noqa: S608 - fixed clauses, bound values
        "s AS MATERIALIZED (SELECT t.pk AS pk, -MIN(m.rank * t.weight) AS rel, m.doc & 7 AS slot, t.answers AS question, "
        "t.speaker AS speaker, t.start_seconds AS start_seconds FROM m JOIN turns t ON t.pk = m.doc >> 3 GROUP BY t.pk), "
        "asked AS MATERIALIZED (SELECT DISTINCT question FROM s WHERE question IS NOT NULL) "
        "SELECT -((t.rel + :inherit * COALESCE(q.rel, 0.0)) * CASE WHEN t.pk IN asked THEN :demote ELSE 1.0 END) AS score, "
        "t.pk, t.slot, COUNT(*) OVER () FROM s AS t LEFT JOIN s AS q ON q.pk = t.question "
        f"{'WHERE ' + ' AND '.join(late) if late else ''} ORDER BY score, t.pk LIMIT :limit OFFSET :offset"
    )
    found = store.rows(sql, params)
    return [Ranked(score, pk, slot) for score, pk, slot, _ in found], (int(found[0][3]) if found else None)


def reranked_in_memory(store: CorpusStore, matching: Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int | None]:
    """reranked_page's answer, from FTS5's scores and the turn facts held in memory: the same
    operations on the same doubles (FTS5 scores, SQLite multiplies and adds IEEE doubles as Python
    does), so the same scores, order and number. A negative limit means no limit, as in SQL. When a
    turn's two languages score exactly the same, the first document (the lower slot) names the
    language; SQLite's MIN() keeps the first row it meets too, though it does not promise to."""
    params: dict[str, object] = {"match": matching.match}
    rows, _ = sql_filters(params, TurnFilter(slot=matching.wanted.slot), matching.span)
    facts = store.turn_facts
    relevance: dict[int, float] = {}
    slots: dict[int, int] = {}
    for doc, rank in store.rows(f"SELECT fts.rowid, bm25(fts) FROM fts WHERE {' AND '.join(rows)}", params):  # noqa: S608 - fixed clauses
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
    return page, (len(scored) if page else None)
