"""The first results of a query over common terms, without scoring every match.

A query whose terms match tens of thousands of documents would make FTS5 run
`bm25()` on each of them. Instead, the candidates are the documents on the
champion lists of the query's terms (`corpus.index.champions`); they are scored
here with FTS5's own formula (`corpus.bm25`), and the floors of the lists bound
the best score any other document could reach. When the last result wanted
scores strictly better than that bound, the answer is exactly the one the
exhaustive query would give; otherwise `top_turns` returns None and the caller
runs the exhaustive query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase, idf, score_body
from corpus.index.schema import SLOTS
from corpus.store import CorpusStore
from corpus.text_norm import is_hangul

WHOLE_PHRASE = 300  # a phrase reaching at most this many documents is scored on all of them
MULTI_MATCH = 800  # documents matching two or more common phrases, taken whole up to this many
MAX_CANDIDATES = 4000  # past this, the exhaustive query is as cheap


@dataclass(frozen=True)
class TurnFilter:
    """What the turns must satisfy besides matching: all optional."""

    slot: int | None = None
    speaker: str | None = None
    start: int | None = None
    end: int | None = None

    def accepts(self, speaker: str, start_seconds: int) -> bool:
        if self.speaker is not None and speaker != self.speaker:
            return False
        if self.start is not None and start_seconds < self.start:
            return False
        return self.end is None or start_seconds <= self.end


@dataclass(frozen=True)
class Ranked:
    score: float
    """bm25 (negative: lower is better) times the turn's length prior."""
    turn_pk: int
    slot: int


def _ids(values: Sequence[int] | set[int]) -> str:
    return json.dumps(sorted(values))


def _same_for_fts5(term: str) -> bool:
    """Whether FTS5's unicode61 tokenizer surely sees this term as we do. It folds a few letters
    Python's lower() keeps (µ, ſ, ς, ϐ ...) and splits on a few marks Python counts as word
    characters; for such terms the Python-side statistics may differ, so the fast path declines."""
    return term.isascii() or all(is_hangul(c) for c in term)


def _expression(phrase: Phrase) -> str:
    return '"' + " ".join(phrase.terms).replace('"', '""') + '"'


def _matching(store: CorpusStore, expression: str, cap: int) -> list[int] | None:
    """The rowids matching an FTS5 expression (no ranking: cheap), or None past `cap` of them."""
    found = [row[0] for row in store.rows("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?", (expression, cap + 1))]
    return found if len(found) <= cap else None


def _both_expression(phrases: Sequence[Phrase]) -> str | None:
    """An expression for 'both words' with exactly the query's phrases in order, so bm25() gives
    the same scores: `a AND b` for [a, b]; `(a AND b) OR "a b"` for [a, b, "a b"] (the phrase
    implies both). None for other shapes."""
    if len(phrases) == 2 and not any(p.prefix for p in phrases):
        return f"{_expression(phrases[0])} AND {_expression(phrases[1])}"
    if len(phrases) == 3 and phrases[2].terms == phrases[0].terms + phrases[1].terms and not any(p.prefix for p in phrases):
        return f"({_expression(phrases[0])} AND {_expression(phrases[1])}) OR {_expression(phrases[2])}"
    return None


def sql_filters(params: dict[str, object], wanted: TurnFilter, span: tuple[int, int] | None) -> tuple[list[str], list[str]]:
    """(clauses on the FTS rows, clauses on the joined turn `t`), binding their values into params.

    A document's rowid is its turn's pk * 8 + its language slot (corpus.index.schema)."""
    rows = ["fts MATCH :match"]
    turns: list[str] = []
    if span is not None:
        rows.append("fts.rowid BETWEEN :low AND :high")
        params["low"], params["high"] = span
    if wanted.slot is not None:
        rows.append("(fts.rowid & 7) = :slot")
        params["slot"] = wanted.slot
    if wanted.speaker is not None:
        # the speaker's turns are few enough to hold as a set; bm25 then runs on their rows only
        rows.append("(fts.rowid >> 3) IN (SELECT pk FROM turns WHERE speaker = :speaker)")
        params["speaker"] = wanted.speaker
    turns += turn_clauses(params, TurnFilter(start=wanted.start, end=wanted.end))
    return rows, turns


def turn_clauses(params: dict[str, object], wanted: TurnFilter) -> list[str]:
    """The speaker and time clauses on a turn row `t` (its speaker and start_seconds), binding their values."""
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


def ranked_in_sql(
    store: CorpusStore, match: str, wanted: TurnFilter, span: tuple[int, int] | None, limit: int, offset: int = 0
) -> list[Ranked]:
    """Score every matching document in SQL: each turn's best document's bm25 times its length prior."""
    return ranked_page(store, match, wanted, span, limit, offset)[0]


def ranked_page(
    store: CorpusStore, match: str, wanted: TurnFilter, span: tuple[int, int] | None, limit: int, offset: int = 0
) -> tuple[list[Ranked], int | None]:
    """ranked_in_sql's page and the number of matching turns, counted by the same query (a
    window over the groups, so the match runs once); None for a page past the end."""
    params: dict[str, object] = {"match": match, "limit": limit, "offset": offset}
    rows, turns = sql_filters(params, wanted, span)
    sql = (
        f"WITH m AS MATERIALIZED (SELECT fts.rowid AS doc, bm25(fts) AS rank FROM fts WHERE {' AND '.join(rows)}) "  # noqa: S608 - fixed clauses, bound values
        "SELECT MIN(m.rank * t.weight) AS score, t.pk, m.doc & 7, COUNT(*) OVER () FROM m JOIN turns t ON t.pk = m.doc >> 3 "
        f"{'WHERE ' + ' AND '.join(turns) if turns else ''} GROUP BY t.pk ORDER BY score, t.pk LIMIT :limit OFFSET :offset"
    )
    found = store.rows(sql, params)
    return [Ranked(score, pk, slot) for score, pk, slot, _ in found], (int(found[0][3]) if found else None)


def top_turns(store: CorpusStore, phrases: Sequence[Phrase], wanted: TurnFilter, need: int) -> list[Ranked] | None:
    """The best `need` turns, best first, or None when the champion lists cannot prove them.

    Candidates: every document of a phrase that reaches at most WHOLE_PHRASE documents;
    the champion lists of the terms of the other ("common") phrases; and, when there are
    several common phrases, every document matching two or more of them (if at most
    MULTI_MATCH). A document outside the candidates then matches one common phrase only
    (or, past MULTI_MATCH, several), so its score is bounded by the floors.
    """
    if not phrases or any(p.prefix for p in phrases):
        return None  # a prefix stands for many terms: no single list bounds it
    terms = sorted({t for p in phrases for t in p.terms})
    if not all(_same_for_fts5(t) for t in terms):
        return None
    stats = {row[0]: (row[1], row[2]) for row in store.rows(
        "SELECT term, df, floor FROM terms WHERE term IN (SELECT value FROM json_each(?))", (json.dumps(terms),)
    )}
    rows, tokens = store.fts_totals
    if rows == 0:
        return []
    avgdl = tokens / rows
    widen = max(1.0, avgdl / store.champion_avgdl_min)
    hits = [store.phrase_hits(p) if len(p.terms) > 1 else stats.get(p.terms[0], (0, 0.0))[0] for p in phrases]
    idfs = [idf(rows, h) for h in hits]
    whole = [p for p, h in zip(phrases, hits, strict=True) if h <= WHOLE_PHRASE]
    common = [(p, w) for p, w, h in zip(phrases, idfs, hits, strict=True) if h > WHOLE_PHRASE]
    docs: set[int] = set()
    scored: list[Ranked] = []
    if whole:
        found = _matching(store, " OR ".join(_expression(p) for p in whole), WHOLE_PHRASE * len(whole))
        if found is None:
            return None
        docs.update(found)
    reach = []
    for phrase, weight in common:
        floors = [stats[t][1] if t in stats else 0.0 for t in phrase.terms]
        reach.append(weight * min(floors) * widen)
    bound = -sum(reach)
    if len(common) >= 2:
        pairs = " OR ".join(
            f"({_expression(a)} AND {_expression(b)})" for i, (a, _) in enumerate(common) for b, _ in common[i + 1 :]
        )
        several = _matching(store, pairs, MULTI_MATCH)
        if several is not None:
            docs.update(several)
            bound = -max(reach)
        else:
            both = _both_expression(phrases) if not whole else None
            if both is not None:  # too many to score here, but SQL can rank them with the same phrases
                scored = ranked_in_sql(store, both, wanted, None, need)
                bound = -max(reach)
    common_terms = sorted({t for p, _ in common for t in p.terms})
    if common_terms:
        docs.update(row[0] for row in store.rows(
            "SELECT doc FROM champions WHERE term IN (SELECT value FROM json_each(?))", (json.dumps(common_terms),)
        ))
    if len(docs) > MAX_CANDIDATES:
        return None
    candidates = [d for d in docs if wanted.slot is None or d % SLOTS == wanted.slot]
    turn_rows = store.rows(
        "SELECT pk, weight, speaker, start_seconds FROM turns WHERE pk IN (SELECT value FROM json_each(?))",
        (_ids({d // SLOTS for d in candidates}),),
    )
    weights = {pk: weight for pk, weight, speaker, start in turn_rows if wanted.accepts(speaker, start)}
    candidates = [d for d in candidates if d // SLOTS in weights]
    best: dict[int, Ranked] = {r.turn_pk: r for r in scored}
    for pk, body in store.rows("SELECT pk, body FROM docs WHERE pk IN (SELECT value FROM json_each(?))", (_ids(candidates),)):
        raw = score_body(body, phrases, idfs, avgdl)
        if raw == 0.0:
            continue  # on a list for one of the phrase's terms, but without the phrase
        turn = pk // SLOTS
        value = raw * weights[turn]
        held = best.get(turn)
        if held is None or value < held.score:
            best[turn] = Ranked(value, turn, pk % SLOTS)
    ranked = sorted(best.values(), key=lambda r: (r.score, r.turn_pk))
    if bound == 0.0:
        return ranked[:need]  # no common phrase, or all their lists complete: the candidates are all the matches
    margin = abs(bound) * 1e-9
    if len(ranked) < need or not ranked[need - 1].score < bound - margin:
        return None
    return ranked[:need]
