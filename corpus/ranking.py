"""The order of a search's hits: the best turns by BM25 (corpus.topk), re-ranked by exchanges.

Re-ranking (corpus.exchanges) moves a turn by at most what its question hands
on, so it needs only the best BM25 turns, the questions they answer and those
questions' answers. A candidate list cut short is checked: a turn outside it
scores at most the last candidate's relevance plus INHERIT of its question's,
and the question of such a turn is outside the list too (otherwise the turn
would have been looked up as one of its answers), so it is bounded the same
way; when speaker or time filters are set, the question may have been filtered
out, and the best relevance of any matching turn bounds it instead. When the
page's last turn scores above that bound the page is exact; otherwise the list
is made four times longer and the check runs again, up to every match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase
from corpus.exchanges import Exchanges, outside_bound, rerank
from corpus.index.schema import SLOTS
from corpus.store import CorpusStore
from corpus.topk import Ranked, TurnFilter, ranked_page, top_turns

FIRST_CUT = 50
"""Candidates fetched first from a large corpus (at least four times the page's end)."""
SMALL_CORPUS = 1000
"""Corpora of at most this many documents are ranked whole: every match is a candidate."""
CHAMPION_DEPTH = 100
"""Past this many turns, the champion lists are not asked (they hold 200 documents a term)."""


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
    cap: int | None = None if every else max(FIRST_CUT, 4 * need)
    first = max(20, 2 * need)
    if matching.champions and not every and matching.span is None and first <= CHAMPION_DEPTH:
        found = top_turns(store, matching.phrases, matching.wanted, first)
        if found is not None:
            order = _reranked(store, matching, found, cut=len(found) == first, need=need, read_answers=False)
            if order is not None:
                return order[offset:need], None
    while True:
        found, total = ranked_page(store, matching.match, matching.wanted, matching.span, cap if cap is not None else -1)
        order = _reranked(store, matching, found, cut=cap is not None and len(found) == cap, need=need, read_answers=True)
        if order is not None:
            return order[offset:need], total
        assert cap is not None  # an uncut list is always exact
        cap = 4 * cap if 4 * cap < (total or 0) else None


def _reranked(
    store: CorpusStore, matching: Matching, found: list[Ranked], *, cut: bool, need: int, read_answers: bool
) -> list[Ranked] | None:
    """The candidates and their exchanges' answers re-ranked, or None when a cut list cannot prove the
    first `need`. `read_answers`: the candidates carry the question they answer (from ranked_page)."""
    slots = {r.turn_pk: r.slot for r in found}
    relevance = {r.turn_pk: -r.score for r in found}
    if not cut and read_answers and not _filters_questions(matching.wanted):
        # every match is a candidate: the questions and answers that match are among them
        question_of = {r.turn_pk: r.answers for r in found if r.answers is not None}
        order = rerank(slots, Exchanges(relevance, question_of))
        return [Ranked(-score, pk, slots[pk]) for pk, score in order[:need]]
    question_of, answers = _exchanges(store, list(slots))
    unknown = (set(question_of.values()) | set(answers)) - set(relevance)
    for pk, score, slot in _scores(store, matching, unknown):
        relevance[pk] = score
        if pk in answers and pk not in slots and matching.wanted.accepts(answers[pk][0], answers[pk][1]):
            slots[pk] = slot  # a matching answer to a candidate's question is a candidate itself
    question_of.update({pk: question for pk, (_, _, question) in answers.items()})
    order = rerank(slots, Exchanges(relevance, question_of))
    if cut:
        last = -found[-1].score
        question_bound = last if not _filters_questions(matching.wanted) else _best(store, matching)
        if len(order) < need or not order[need - 1][1] > outside_bound(last, question_bound):
            return None
    return [Ranked(-score, pk, slots[pk]) for pk, score in order[:need]]


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
    """(turn_pk, relevance, slot of its best document) of those of `pks` that match, in the searched language."""
    if not pks:
        return []
    slots = [matching.wanted.slot] if matching.wanted.slot is not None else list(store.slot_languages)
    docs = sorted(pk * SLOTS + slot for pk in pks for slot in slots)
    rows = store.rows(
        "WITH m AS MATERIALIZED (SELECT rowid AS doc, bm25(fts) AS rank FROM fts "
        "WHERE fts MATCH :match AND rowid IN (SELECT value FROM json_each(:docs))) "
        "SELECT m.doc >> 3, MIN(m.rank * t.weight), m.doc & 7 FROM m JOIN turns t ON t.pk = m.doc >> 3 GROUP BY m.doc >> 3",
        {"match": matching.match, "docs": json.dumps(docs)},
    )
    return [(pk, -score, slot) for pk, score, slot in rows]


def _best(store: CorpusStore, matching: Matching) -> float:
    """The best relevance of any matching turn in the searched language and episode, whatever its speaker or time."""
    everyone = TurnFilter(slot=matching.wanted.slot)
    found = top_turns(store, matching.phrases, everyone, 1) if matching.champions and matching.span is None else None
    if found is None:
        found, _ = ranked_page(store, matching.match, everyone, matching.span, 1)
    return -found[0].score if found else 0.0
