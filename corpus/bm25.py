"""BM25 as SQLite's FTS5 computes it, with one change: the average length is the episode's.

FTS5's `bm25()` (fts5_aux.c) sums, over the phrases of the query in order,
    idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))
with k1 = 1.2, b = 0.75, f the phrase's instances in the row, D the row's
token count, avgdl = all tokens / all rows, idf = log((N - nHit + 0.5) / (nHit + 0.5))
floored at 1e-6 (nHit: rows holding the phrase); it returns minus the sum.

We compute the same arithmetic in the same order (`corpus.postings_ranking`),
except that avgdl is the average over the document's own episode (its documents'
tokens / their number): how long a turn is depends on how its transcript was cut
(caption cues of a few words, or paragraphs), so a turn is weighed against the
turns cut the same way. Against the corpus-wide average, one episode of long
paragraphs among a thousand of short cues had every turn penalised as long, and
its best turn lost to short turns of other episodes matching one word of the
query. idf stays corpus-wide. With one episode this is exactly FTS5's `bm25()`
(the tests check it to the last bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

K1 = 1.2
B = 0.75


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
