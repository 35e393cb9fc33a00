"""The order of a search's hits: BM25 (corpus.bm25), then re-ranked by exchanges (corpus.exchanges).

Re-ranking needs every matching turn (a turn far down the BM25 order can climb
by what its question hands on), so every match of every query is scored, all
at once, from the postings arrays (`corpus.postings_ranking`). The speaker and
time filters apply after the re-ranking, so a question they drop still hands
its score on and a filter never reorders; the language and episode filters
apply before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.bm25 import Phrase
from corpus.ranked import Ranked, TurnFilter
from corpus.store import CorpusStore


@dataclass(frozen=True)
class Matching:
    """What a search matches: the phrases (and the same as an FTS5 expression), and the filters."""

    match: str
    """The FTS5 MATCH expression of the phrases: the ranking reads the postings, not FTS5; the tests
    ask FTS5 with it which documents match, to check the postings against."""
    phrases: Sequence[Phrase]
    wanted: TurnFilter
    span: tuple[int, int] | None = None
    """A document pk range: one episode's documents."""


def ranked_turns(store: CorpusStore, matching: Matching, offset: int, limit: int) -> tuple[list[Ranked], int]:
    """The page [offset, offset + limit) of the matching turns, best first, and the number of matching turns."""
    from corpus.postings_ranking import reranked_from_postings  # numpy: loaded by the first search, not at start-up

    return reranked_from_postings(store, matching.phrases, matching.wanted, matching.span, limit, offset)
