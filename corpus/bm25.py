"""BM25 as SQLite's FTS5 computes it, with one change: the average length a document is weighed against.

FTS5's `bm25()` (fts5_aux.c) sums, over the phrases of the query in order,
    idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))
with k1 = 1.2, b = 0.75, f the phrase's instances in the row, D the row's
token count, avgdl = all tokens / all rows, idf = log((N - nHit + 0.5) / (nHit + 0.5))
floored at 1e-6 (nHit: rows holding the phrase); it returns minus the sum.

We compute the same arithmetic in the same order (`corpus.postings_ranking`), but
avgdl is the average length of the documents of the document's own episode
(`average_length`). How long a turn is depends on how its transcript was cut
(caption cues of a few words, or paragraphs), so a turn is weighed against turns
cut the same way. Against FTS5's corpus-wide average, an episode of long turns
among many of short cues had every turn penalised as long, and its best turn lost
to short turns elsewhere that say one word of the query. The episode's average is
pulled towards the corpus-wide one by PRIOR_DOCUMENTS documents' worth, so that an
episode of a few huge turns cannot make them count as normal (unpulled, one
episode of two turns of 3,700 and 3 tokens came first for most queries). idf stays
corpus-wide, and the average spans the episode's languages, as FTS5's spans the
corpus's (an average per language helped Korean known-item queries and cost the
judged cross-language ones: README, Performance). With one corpus-wide average,
these are FTS5's `bm25()` scores to the last bit (the tests check it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

K1 = 1.2
B = 0.75
PRIOR_DOCUMENTS = 50
"""How many documents of the corpus-wide average an episode's average length counts, besides its own."""


def average_length(documents: int, tokens: int, corpus_average: float) -> float:
    """The average length BM25 weighs a document against: that of its episode's documents
    (`documents`, `tokens`), pulled towards the corpus-wide average."""
    return (tokens + PRIOR_DOCUMENTS * corpus_average) / (documents + PRIOR_DOCUMENTS)


@dataclass(frozen=True)
class Phrase:
    """One FTS5 phrase: consecutive index terms, the last one a prefix if `prefix`."""

    terms: tuple[str, ...]
    prefix: bool = False


def idf(rows: int, hits: int) -> float:
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0.0 else 1e-6


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    """SQLite's big-endian varint: (value, next offset)."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


def averages(record: bytes) -> tuple[int, int]:
    """(rows, tokens) from FTS5's averages record (`fts_data` id 1): a varint each, one column."""
    if not record:
        return 0, 0
    rows, at = read_varint(record, 0)
    tokens = 0
    while at < len(record):
        column, at = read_varint(record, at)
        tokens += column
    return rows, tokens
