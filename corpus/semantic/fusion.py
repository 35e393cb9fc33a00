"""One ranking from two: the words' (BM25 re-ranked by exchanges) and the meaning's (vector similarity).

Pure: arrays in, the order out. Both sides arrive filtered (language, speaker, episode,
times), so a fused page never holds a turn the filters refuse.

How much to trust the words is read off the query itself: `coverage` is the best words
score over what a turn saying each of the query's terms once would score (see
`corpus.search`). A keyword query that a turn answers covers 0.5-2; a paraphrase, a question
in other words, or a Korean question whose answer exists only in English covers 0.1-0.35
(its words match incidental turns). `confidence` rises from 0 to 1 between COVERAGE_LOW and
COVERAGE_HIGH, and each turn of the head scores

    confidence / (RANK_OFFSET + its words rank) + (1 - confidence) / (RANK_OFFSET + its meaning rank)

(a rank it does not have counts 0): reciprocal-rank fusion weighted by the query's coverage.
With a small RANK_OFFSET the trusted side's order is kept and the other side breaks its
near-ties; when the two are equally trusted, a turn both sides rank high comes first.
Cosine similarities themselves are never compared across queries: E5's are compressed.

The head is the words' best WORDS_DEPTH turns and the meaning's best candidates: all
MEANING_DEPTH of them rank the head, but only the first (1 - confidence) * MEANING_DEPTH of
those the words' head lacks are kept: the less the words explain the query, the more
turns found by meaning alone it gets (none for a keyword query the words answer). After
the head come the other turns the words match, in their order. The order depends on the query
and the filters only (never on the page asked for), so cursors page through one fixed
sequence: no turn twice, none skipped.

The constants were chosen on the project's judged development queries (eval/): the
shared keyword set kept every rank-1 hit, and the held-out queries were not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

WORDS_DEPTH = 100
MEANING_DEPTH = 20
RANK_OFFSET = 1.0
COVERAGE_LOW = 0.3
COVERAGE_HIGH = 0.45


@dataclass(frozen=True)
class FusedHead:
    pks: Ints
    """The head's turns, best first."""
    confidence: float
    """How much the words were trusted (0: the meaning's order, 1: the words')."""
    meaning_only: int
    """Turns of the head that the meaning found and the words' head does not hold."""


def confidence(coverage: float) -> float:
    """How far to trust the words' order, from the query's coverage (see the module doc)."""
    return float(min(1.0, max(0.0, (coverage - COVERAGE_LOW) / (COVERAGE_HIGH - COVERAGE_LOW))))


def fuse_head(words: Ints, meaning: Ints, coverage: float) -> FusedHead:
    """The fused head from the words' head and the meaning's candidates, each best first."""
    trust = confidence(coverage)
    pks = np.union1d(words, meaning)
    missing = len(pks) + len(words) + len(meaning) + 1  # a rank after every real one
    words_rank = np.full(len(pks), missing, dtype=np.int64)
    meaning_rank = np.full(len(pks), missing, dtype=np.int64)
    words_rank[np.searchsorted(pks, words)] = np.arange(1, len(words) + 1)
    meaning_rank[np.searchsorted(pks, meaning)] = np.arange(1, len(meaning) + 1)
    score = np.where(words_rank < missing, trust / (RANK_OFFSET + words_rank), 0.0)
    score += np.where(meaning_rank < missing, (1.0 - trust) / (RANK_OFFSET + meaning_rank), 0.0)
    admitted = round(len(meaning) * (1.0 - trust))
    in_words = words_rank < missing
    lacking = meaning[~in_words[np.searchsorted(pks, meaning)]]  # the meaning's turns the words' head lacks, best first
    kept = in_words.copy()
    kept[np.searchsorted(pks, lacking[:admitted])] = True
    order = np.lexsort((pks, words_rank, meaning_rank, -score))
    order = order[kept[order]]
    return FusedHead(pks[order], trust, int((kept & ~in_words).sum()))
