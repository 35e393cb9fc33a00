"""Cutting a turn's text down to the part that matched, with the match in **bold**."""

from __future__ import annotations

from collections.abc import Collection

from corpus.text_norm import fold_typography, is_hangul
from corpus.tokenize import HANGUL_RUN, LATIN_WORD, hangul_bigrams, stem

SNIPPET_CHARS = 300
_LEAD = 60


def match_spans(text: str, terms: Collection[str], prefixes: Collection[str] = ()) -> list[tuple[int, int]]:
    """Character ranges of `text` whose index term is one of `terms` (or starts with a prefix), merged.

    Only words that share their first two letters with a wanted term are stemmed: snippets
    are made for every hit, so this runs on the hot path.
    """
    wanted = set(terms)
    heads = {t[:2] for t in wanted} | {p[:2] for p in prefixes}
    spans: list[tuple[int, int]] = []
    for match in LATIN_WORD.finditer(text):
        word = match.group()
        if word[:2].lower() not in heads:
            continue
        term = stem(word)
        if term in wanted or any(term.startswith(p) for p in prefixes):
            spans.append((match.start(), match.end()))
    if any(is_hangul(t[0]) for t in heads if t):
        for match in HANGUL_RUN.finditer(text):
            run, base = match.group(), match.start()
            for i, gram in enumerate(hangul_bigrams(run)):
                if gram in wanted or any(gram.startswith(p) for p in prefixes):
                    spans.append((base + i, base + i + len(gram)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _word_start(text: str, index: int) -> int:
    while 0 < index < len(text) and not text[index - 1].isspace():
        index -= 1
    return index


def _word_end(text: str, index: int) -> int:
    while index < len(text) and not text[index].isspace():
        index += 1
    return index


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def make_snippet(text: str, terms: Collection[str], prefixes: Collection[str] = (), limit: int = SNIPPET_CHARS) -> str:
    """The window of about `limit` characters holding the most matches, matches in **bold**."""
    text = " ".join(fold_typography(text).split())
    spans = match_spans(text, terms, prefixes)
    if not spans:
        return shorten(text, limit)
    best_start, best_count = 0, -1
    for start, _ in spans:
        window_start = max(0, start - _LEAD)
        count = sum(1 for s, e in spans if s >= window_start and e <= window_start + limit)
        if count > best_count:
            best_start, best_count = window_start, count
    begin = _word_start(text, best_start) if best_start else 0
    finish = min(len(text), begin + limit)
    if finish < len(text):
        finish = max(_word_end(text, finish), finish) if finish - begin < limit else finish
        cut = text.rfind(" ", begin, finish)
        if cut > begin + limit // 2:
            finish = cut
    pieces: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for start, end in spans:
        if start < begin or end > finish:
            continue
        pieces += [text[cursor:start], "**", text[start:end], "**"]
        cursor = end
    pieces.append(text[cursor:finish])
    if finish < len(text):
        pieces.append("…")
    return "".join(pieces)
