"""The order of a search's hits: the best turns by BM25 (corpus.topk), re-ranked by exchanges.

Re-ranking (corpus.exchanges) moves a turn by at most what its question hands
on, so it needs only the best BM25 turns, the questions they answer and those
questions' answers. A candidate list cut short is checked: a turn outside it
scores at most the last candidate's relevance plus INHERIT of its question's,
and the question of such a turn is outside the list too (otherwise the turn
would have been looked up as one of its answers), so it is bounded the same
way; when speaker or time filters are set, the question may have been filtered
out, and the best relevance of any matching turn bounds it instead. When the
page's last turn scores above that bound the page is exact. Otherwise that last
score tells how high a turn's own BM25 relevance must be for it to reach the
page (re-ranked scores do not depend on which turns are candidates), and one
more query fetches exactly the turns above that floor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase
from corpus.exchanges import INHERIT, Exchanges, outside_bound, rerank
from corpus.index.schema import SLOTS
from corpus.store import CorpusStore
from corpus.topk import Ranked, TurnFilter, ranked_page, top_turns

FIRST_CUT = 50
"""Candidates fetched first from a large corpus (at least four times the page's end)."""
SMALL_CORPUS = 1000
"""Corpora of at most this many documents are ranked whole: every match is a candidate."""
CHAMPION_DEPTH = 100
"""Past this many turns, the champion lists are not asked (they hold 200 documents a term)."""
_RUNS_PER_QUERY = 100  # rowid ranges a statement (SQLite allows 500 arms in a compound select)


@dataclass(frozen=True)
class Matching:
    """What a search matches: the FTS5 expression, the same as phrases, and the filters."""

    match: str
    phrases: Sequence[Phrase]
    wanted: TurnFilter
    span: tuple[int, int] | None = None
    """A rowid range: one episode's documents."""
    champions: bool = False
    """Whether the champion lists may serve the candidates (common terms, no episode filter)."""


def ranked_turns(store: CorpusStore, matching: Matching, offset: int, limit: int) -> tuple[list[Ranked], int | None]:
    """The page [offset, offset + limit) of the re-ranked matching turns, and the number of
    matching turns when the ranking query counted them (None otherwise)."""
    need = offset + limit
    every = store.fts_totals[0] <= SMALL_CORPUS
    first = max(20, 2 * need)
    floor: float | None = None
    if matching.champions and not every and matching.span is None and first <= CHAMPION_DEPTH:
        found = top_turns(store, matching.phrases, matching.wanted, first)
        if found is not None:
            order = _reranked(store, matching, found, lookups=True)
            if len(found) < first:  # all the matches
                return order[offset:need], None
            page, floor = _settle(store, matching, order, -found[-1].score, need)
            if page is not None:
                return page[offset:], None
    if floor is None:
        cap = -1 if every else max(FIRST_CUT, 4 * need)
        found, total = ranked_page(store, matching.match, matching.wanted, matching.span, cap)
        complete = cap < 0 or len(found) < cap
        order = _reranked(store, matching, found, lookups=not complete or _filters_questions(matching.wanted))
        if complete:
            return order[offset:need], total
        page, floor = _settle(store, matching, order, -found[-1].score, need)
        if page is not None:
            return page[offset:], total
    # every turn that can still reach the page scores at least `floor` by BM25: fetch those, and only those
    found, _ = ranked_page(store, matching.match, matching.wanted, matching.span, -1, ceiling=-floor if floor else None)
    return _reranked(store, matching, found, lookups=True)[offset:need], None


def _settle(
    store: CorpusStore, matching: Matching, order: list[Ranked], last: float, need: int
) -> tuple[list[Ranked] | None, float]:
    """(the first `need` of a re-ranked cut list when they are proved, else None; the BM25
    relevance a turn outside the list must reach to enter them, 0.0 when any might).

    A turn outside the list scores at most `last` by BM25, and its question (outside the list
    too, or the turn would have been looked up as its answer) at most `last` as well, unless the
    speaker or time filters dropped it: then the best relevance of any match bounds it."""
    question_bound = last if not _filters_questions(matching.wanted) else _best(store, matching)
    if len(order) < need:
        return None, 0.0
    kth = -order[need - 1].score
    if kth > outside_bound(last, question_bound):
        return order[:need], 0.0
    if not _filters_questions(matching.wanted):
        return None, max(0.0, kth / (1.0 + INHERIT) * (1.0 - 1e-12))
    return None, max(0.0, (kth - INHERIT * question_bound) * (1.0 - 1e-12))


def _reranked(store: CorpusStore, matching: Matching, found: list[Ranked], *, lookups: bool) -> list[Ranked]:
    """The candidates (and matching answers to their questions) re-ranked, best first.

    Without `lookups`, the candidates must be every match with the question each answers
    (from ranked_page), and no speaker or time filter: the exchanges that count are all among them."""
    slots = {r.turn_pk: r.slot for r in found}
    relevance = {r.turn_pk: -r.score for r in found}
    if not lookups:
        question_of = {r.turn_pk: r.answers for r in found if r.answers is not None}
        return [Ranked(-score, pk, slots[pk]) for pk, score in rerank(slots, Exchanges(relevance, question_of))]
    question_of, answers = _exchanges(store, list(slots))
    unknown = (set(question_of.values()) | set(answers)) - set(relevance)
    for pk, score, slot in _scores(store, matching, unknown):
        relevance[pk] = score
        if pk in answers and pk not in slots and matching.wanted.accepts(answers[pk][0], answers[pk][1]):
            slots[pk] = slot  # a matching answer to a candidate's question is a candidate itself
    question_of.update({pk: question for pk, (_, _, question) in answers.items()})
    return [Ranked(-score, pk, slots[pk]) for pk, score in rerank(slots, Exchanges(relevance, question_of))]


def _filters_questions(wanted: TurnFilter) -> bool:
    """Whether the filters may drop a question whose answer they keep."""
    return wanted.speaker is not None or wanted.start is not None or wanted.end is not None


def _exchanges(store: CorpusStore, pks: list[int]) -> tuple[dict[int, int], dict[int, tuple[str, int, int]]]:
    """(answer -> question for the candidates that answer, answer -> (speaker, start, question) for
    every answer to a question among the candidates or answered by one)."""
    question_of = dict(store.rows(
        "SELECT pk, answers FROM turns WHERE pk IN (SELECT value FROM json_each(?)) AND answers IS NOT NULL",
        (json.dumps(pks),),
    ))
    questions = sorted(set(question_of.values()) | set(pks))
    answers = {
        pk: (speaker, start, question)
        for pk, speaker, start, question in store.rows(
            "SELECT pk, speaker, start_seconds, answers FROM turns WHERE answers IN (SELECT value FROM json_each(?))",
            (json.dumps(questions),),
        )
    }
    return question_of, answers


def _scores(store: CorpusStore, matching: Matching, pks: set[int]) -> list[tuple[int, float, int]]:
    """(turn_pk, relevance, slot of its best document) of those of `pks` that match, in the searched language.

    Each run of consecutive turns is one rowid range, which FTS5 seeks to in every term's
    postings (a `rowid IN (...)` list would make it walk all the matches instead)."""
    runs: list[list[int]] = []
    for pk in sorted(pks):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    found: list[tuple[int, float, int]] = []
    language = "" if matching.wanted.slot is None else " AND (rowid & 7) = :slot"
    for chunk in range(0, len(runs), _RUNS_PER_QUERY):
        part = runs[chunk : chunk + _RUNS_PER_QUERY]
        params: dict[str, object] = {"match": matching.match, "slot": matching.wanted.slot}
        for number, (low, high) in enumerate(part):
            params[f"low{number}"], params[f"high{number}"] = low * SLOTS, high * SLOTS + SLOTS - 1
        arms = " UNION ALL ".join(
            f"SELECT rowid AS doc, bm25(fts) AS rank FROM fts WHERE fts MATCH :match AND rowid BETWEEN :low{n} AND :high{n}{language}"  # noqa: S608 - fixed clauses, bound values
            for n in range(len(part))
        )
        rows = store.rows(
            f"WITH m AS MATERIALIZED ({arms}) "  # noqa: S608 - fixed clauses, bound values
            "SELECT m.doc >> 3, MIN(m.rank * t.weight), m.doc & 7 FROM m JOIN turns t ON t.pk = m.doc >> 3 GROUP BY m.doc >> 3",
            params,
        )
        found += [(pk, -score, slot) for pk, score, slot in rows]
    return found


def _best(store: CorpusStore, matching: Matching) -> float:
    """The best relevance of any matching turn in the searched language and episode, whatever its speaker or time."""
    everyone = TurnFilter(slot=matching.wanted.slot)
    found = top_turns(store, matching.phrases, everyone, 1) if matching.champions and matching.span is None else None
    if found is None:
        found, _ = ranked_page(store, matching.match, everyone, matching.span, 1)
    return -found[0].score if found else 0.0
