"""What of a turn is embedded: the recipe, and each passage's content hash.

A turn gives one passage for its whole text and, when it is long, overlapping windows of a
few sentences: a long answer says many things, and its one vector is the average of them
all, so a question about one detail ("on their way to work ... the bus") matches a window
better than the whole. Each language the recipe embeds gives its own passages.

A passage is stored by the hash of the recipe, the model identity and its text, so an
unchanged text is never embedded twice (an edited episode re-embeds the turns it changed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

RECIPE = "passages-v1"
"""Bump when what is embedded changes: every stored vector then counts as missing."""
WINDOW_WORDS = 60
"""A window holds whole sentences up to about this many words (a sentence longer than that is one window)."""
LONG_TURN_WORDS = 80
"""Turns longer than this get windows besides their whole text."""
MAX_PASSAGE_CHARS = 4000
"""The model reads 512 tokens at most: longer texts are cut here before they are embedded."""

_SENTENCE_END = re.compile(r"(?<=[.?!。？！])\s+")


@dataclass(frozen=True)
class Passage:
    language: str
    part: int
    """0: the whole turn; 1, 2, ...: its windows in order."""
    text: str


def _words(text: str) -> int:
    return len(text.split())


def windows(text: str, size: int = WINDOW_WORDS) -> list[str]:
    """Runs of whole sentences of about `size` words, each starting at the previous one's last sentence."""
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    found: list[str] = []
    start = 0
    while start < len(sentences):
        end, count = start, 0
        while end < len(sentences) and (count == 0 or count + _words(sentences[end]) <= size):
            count += _words(sentences[end])
            end += 1
        found.append(" ".join(sentences[start:end]))
        if end >= len(sentences):
            break
        start = max(start + 1, end - 1)
    return found


def passages(text: dict[str, str], languages: tuple[str, ...]) -> list[Passage]:
    """The passages of a turn's texts in `languages` (those it has), whole text first."""
    found: list[Passage] = []
    for language in languages:
        body = " ".join(text.get(language, "").split())
        if not body:
            continue
        found.append(Passage(language, 0, body[:MAX_PASSAGE_CHARS]))
        if _words(body) > LONG_TURN_WORDS:
            found.extend(Passage(language, i, w[:MAX_PASSAGE_CHARS]) for i, w in enumerate(windows(body), start=1))
    return found


def passage_hash(identity: str, passage: Passage) -> bytes:
    """16 bytes naming what a stored vector is of: model, recipe and text."""
    return hashlib.sha256(f"{identity}\n{RECIPE}\n{passage.text}".encode()).digest()[:16]
