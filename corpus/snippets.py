"""Cutting a turn's text down to the part that matched, with the match in **bold**."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from corpus.text_norm import fold_typography, is_hangul
from corpus.tokenize import LATIN_WORD, stem

SNIPPET_CHARS = 300
_LEAD = 60


_LATIN_CHAR = r"[^\W_\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]"
_HANGUL_CHAR = "[\uac00-\ud7a3]"


@lru_cache(maxsize=1024)
def _finders(wanted: frozenset[str], prefixes: frozenset[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """Two scanners: starts of Latin words worth stemming, and positions of wanted Hangul terms.

    Latin: a word is stemmed only when its first two letters are those of a wanted term.
    Hangul: a wanted bigram anywhere; a one-syllable term standing alone; a one-syllable
    prefix followed by a syllable (the bigram it starts) or standing alone.
    """
    latin = sorted({t[:2] for t in wanted | prefixes if t and not is_hangul(t[0])})
    latin_finder = None
    if latin:
        # `I'm` stems to `im`: an apostrophe may stand between the two letters
        heads = "|".join(re.escape(h[0]) + ("['’]?" + re.escape(h[1]) if len(h) > 1 else "") for h in latin)
        latin_finder = re.compile(rf"(?<!{_LATIN_CHAR})(?<!{_LATIN_CHAR}['’])(?:{heads})", re.IGNORECASE)
    hangul: list[str] = []
    for term in sorted(wanted | prefixes):
        if not term or not is_hangul(term[0]):
            continue
        if len(term) >= 2:
            hangul.append(f"(?={re.escape(term[:2])})")
        elif term in prefixes:
            hangul.append(f"{term}(?={_HANGUL_CHAR})|(?<!{_HANGUL_CHAR}){term}(?!{_HANGUL_CHAR})")
        else:
            hangul.append(f"(?<!{_HANGUL_CHAR}){term}(?!{_HANGUL_CHAR})")
    return latin_finder, (re.compile("|".join(hangul)) if hangul else None)


def match_spans(text: str, terms: Collection[str], prefixes: Collection[str] = ()) -> list[tuple[int, int]]:
    """Character ranges of `text` whose index term is one of `terms` (or starts with a prefix), merged.

    Snippets are made for every hit, so this runs on the hot path: regular expressions
    find the few places worth looking at, and only those words are stemmed.
    """
    wanted, wanted_prefixes = frozenset(terms), frozenset(prefixes)
    latin_finder, hangul_finder = _finders(wanted, wanted_prefixes)
    spans: list[tuple[int, int]] = []
    if latin_finder is not None:
        for head in latin_finder.finditer(text):
            match = LATIN_WORD.match(text, head.start())
            if match is None:
                continue
            term = stem(match.group())
            if term in wanted or any(term.startswith(p) for p in wanted_prefixes):
                spans.append((match.start(), match.end()))
    if hangul_finder is not None:
        for found in hangul_finder.finditer(text):
            at = found.start()
            two = text[at : at + 2]
            if len(two) == 2 and is_hangul(two[1]) and (two in wanted or any(two.startswith(p) for p in wanted_prefixes)):
                spans.append((at, at + 2))
            elif two[:1] in wanted or two[:1] in wanted_prefixes:
                spans.append((at, at + 1))
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
