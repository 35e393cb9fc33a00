"""BM25 exactly as SQLite's FTS5 computes it, for documents scored outside SQL.

FTS5's `bm25()` (fts5_aux.c) sums, over the phrases of the query in order,
    idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))
with k1 = 1.2, b = 0.75, f the phrase's instances in the row, D the row's
token count, avgdl = all tokens / all rows, idf = log((N - nHit + 0.5) / (nHit + 0.5))
floored at 1e-6 (nHit: rows holding the phrase); it returns minus the sum.
Doing the same arithmetic in the same order here gives the same doubles, so a
score computed in Python for a candidate ranks exactly where SQL would put it.

`impact` is one term's share of that score before idf, times the turn's
length prior: what the champion lists (`corpus.index.champions`) are ordered by.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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


def tf_part(freq: float, length: float, avgdl: float) -> float:
    return (freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * length / avgdl))


def impact(freq: int, length: int, avgdl: float, weight: float) -> float:
    return tf_part(freq, length, avgdl) * weight


def instances(tokens: Sequence[str], phrase: Phrase) -> int:
    """How many times the phrase starts in the token sequence (overlaps count, as in FTS5)."""
    terms = phrase.terms
    last = len(terms) - 1
    if last == 0:
        if phrase.prefix:
            return sum(1 for token in tokens if token.startswith(terms[0]))
        return tokens.count(terms[0])
    found = 0
    for start in range(len(tokens) - last):
        if tokens[start] != terms[0]:
            continue
        if all(tokens[start + i] == terms[i] for i in range(1, last)):
            tail = tokens[start + last]
            if tail == terms[last] or (phrase.prefix and tail.startswith(terms[last])):
                found += 1
    return found


@lru_cache(maxsize=4096)
def _finder(phrase: Phrase) -> re.Pattern[str]:
    """Where the phrase starts in an index body (terms joined by single spaces); overlaps counted."""
    body = re.escape(" ".join(phrase.terms))
    return re.compile(f"(?<![^ ])(?={body}{'' if phrase.prefix else '(?![^ ])'})")


def score_body(body: str, phrases: Sequence[Phrase], idfs: Sequence[float], avgdl: float) -> float:
    """`score` of an index body, without splitting it: the candidates' hot path."""
    length = body.count(" ") + 1 if body else 0
    total = 0.0
    for phrase, weight in zip(phrases, idfs, strict=True):
        freq = len(_finder(phrase).findall(body))
        total += weight * tf_part(freq, length, avgdl)
    return -1.0 * total


def score(tokens: Sequence[str], phrases: Sequence[Phrase], idfs: Sequence[float], avgdl: float) -> float:
    """FTS5's bm25() of one row (a negative number; lower is better)."""
    length = len(tokens)
    total = 0.0
    for phrase, weight in zip(phrases, idfs, strict=True):
        freq = instances(tokens, phrase)
        total += weight * tf_part(freq, length, avgdl)
    return -1.0 * total


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
