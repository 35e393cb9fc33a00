"""Cutting a turn's text down to the part that matched, with the match in **bold**."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from corpus.text_norm import fold_typography, is_hangul
from corpus.tokenize import LATIN_WORD, WORD_CHAR, stem

SNIPPET_CHARS = 300
_LEAD = 60


_IS_LATIN_CHAR = re.compile(WORD_CHAR)
_HANGUL_CHAR = "[\uac00-\ud7a3]"


@lru_cache(maxsize=1024)
def _latin_heads(wanted: frozenset[str], prefixes: frozenset[str]) -> tuple[str, ...]:
    """What a Latin word worth stemming starts with, lower-cased: the first two letters of a wanted term."""
    return tuple(sorted({t[:2] for t in wanted | prefixes if t and not is_hangul(t[0])}))


@lru_cache(maxsize=1024)
def _hangul_finder(wanted: frozenset[str], prefixes: frozenset[str]) -> re.Pattern[str] | None:
    """Positions of wanted Hangul terms: a wanted bigram anywhere; a one-syllable term standing
    alone; a one-syllable prefix followed by a syllable (the bigram it starts) or standing alone."""
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
    return re.compile("|".join(hangul)) if hangul else None


@lru_cache(maxsize=1024)
def _head_pattern(heads: tuple[str, ...]) -> re.Pattern[str]:
    """Word starts with one of the heads, case-insensitively: the slow, general scan."""
    alternatives = "|".join(re.escape(h[0]) + ("['’]?" + re.escape(h[1]) if len(h) > 1 else "") for h in heads)
    return re.compile(rf"(?<!{WORD_CHAR})(?<!{WORD_CHAR}['’])(?:{alternatives})", re.IGNORECASE)


_ASCII_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _is_latin_char(char: str) -> bool:
    """A word character that is not Hangul nor `_`: a letter or digit of a Latin-script word."""
    return char in _ASCII_WORD_CHARS if char.isascii() else _IS_LATIN_CHAR.match(char) is not None


def _starts_word(text: str, at: int) -> bool:
    """Whether no Latin word character comes right before `at`, nor one and an apostrophe (`don'`)."""
    if not at:
        return True
    before = text[at - 1]
    if before in "'’":
        return at < 2 or not _is_latin_char(text[at - 2])
    return not _is_latin_char(before)


def _word_starts(text: str, heads: tuple[str, ...]) -> list[int]:
    """Where a Latin word starting with one of `heads` (two letters, or an apostrophe between them) begins, in order.

    str.find runs in C and skips ahead fast; a regular expression with look-behinds is
    tried at every position and costs several times more on the hot path.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or "Σ" in text:
        # a letter that grows when lower-cased (İ) or a sigma whose case depends on its
        # neighbours: str.lower() and the per-word stemmer could disagree, so scan with the regex
        return [m.start() for m in _head_pattern(heads).finditer(text)]
    found: set[int] = set()
    for head in heads:
        at = lowered.find(head)
        while at >= 0:
            found.add(at)
            at = lowered.find(head, at + 1)
    if "'" in lowered or "’" in lowered:
        # `I'm` stems to `im`: a head's two letters may stand either side of an apostrophe
        paired = {h for h in heads if len(h) == 2}
        for mark in "'’":
            at = lowered.find(mark, 1)
            while at >= 0:
                if lowered[at - 1] + lowered[at + 1 : at + 2] in paired:
                    found.add(at - 1)
                at = lowered.find(mark, at + 1)
    return [at for at in sorted(found) if _starts_word(text, at)]


def match_spans(text: str, terms: Collection[str], prefixes: Collection[str] = ()) -> list[tuple[int, int]]:
    """Character ranges of `text` whose index term is one of `terms` (or starts with a prefix), merged.

    Snippets are made for every hit, so this runs on the hot path: fast scans find the few
    places worth looking at, and only those words are stemmed.
    """
    wanted, wanted_prefixes = frozenset(terms), frozenset(prefixes)
    spans: list[tuple[int, int]] = []
    heads = _latin_heads(wanted, wanted_prefixes)
    if heads:
        for at in _word_starts(text, heads):
            match = LATIN_WORD.match(text, at)
            if match is None:
                continue
            term = stem(match.group())
            if term in wanted or any(term.startswith(p) for p in wanted_prefixes):
                spans.append((match.start(), match.end()))
    hangul_finder = _hangul_finder(wanted, wanted_prefixes)
    if hangul_finder is not None and not text.isascii():
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
    head = " ".join(text[: 2 * limit].split())
    # collapsing white space only shortens: when the head alone is long enough, the rest is never shown
    text = head if len(head) > limit else " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def _best_window(spans: list[tuple[int, int]], limit: int) -> int:
    """Start of the first window of `limit` characters (opening _LEAD before a match) holding the most whole matches.

    Spans are sorted and disjoint, so their starts and ends both rise, and so do the first
    span inside a window and the last: two pointers find each window's count.
    """
    best_start, best_count = 0, -1
    first = last = 0
    for start, _ in spans:
        window_start = max(0, start - _LEAD)
        while spans[first][0] < window_start:
            first += 1
        while last < len(spans) and spans[last][1] <= window_start + limit:
            last += 1
        count = last - first
        if count > best_count:
            best_start, best_count = window_start, count
    return best_start


@lru_cache(maxsize=2048)
def display_text(text: str) -> str:
    """A turn's text as snippets show it: typography folded, white space collapsed. Kept for
    the texts of recent hits (the store keeps their turns, so the same strings come back); the
    cache holds each text twice, so its size is 2,048 turns' text, a few MB for a transcript."""
    return " ".join(fold_typography(text).split())


@lru_cache(maxsize=2048)
def preview(text: str) -> str:
    """shorten(text), kept for the texts of recent hits (shown as their other language); the
    cache keeps the texts themselves alive too, like display_text's."""
    return shorten(text)


def make_snippet(text: str, terms: Collection[str], prefixes: Collection[str] = (), limit: int = SNIPPET_CHARS) -> str:
    """The window of about `limit` characters holding the most matches, matches in **bold**."""
    text = display_text(text)
    spans = match_spans(text, terms, prefixes)
    if not spans:
        return shorten(text, limit)
    best_start = _best_window(spans, limit)
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
