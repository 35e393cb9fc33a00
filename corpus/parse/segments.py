"""Turning cues into speaker turns.

Caption formats cut speech into cues of a few words; a turn is what one speaker
says before someone else speaks. `merge_segments` joins consecutive cues of the
same speaker. Cues with no speaker at all (Whisper, unlabelled captions) are
joined only while the text so far is a fragment: it does not end a sentence, or
it is shorter than `min_words` and no pause of `pause` seconds separates them.
Cues are ordered by start time first (stable, so overlapping cues keep their
file order; a cue without a time keeps its place), and empty cues are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import replace

from corpus.parse.raw import RawTurn
from corpus.text_norm import ends_sentence

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Markup removed (`<i>`, `<c.x>`, inline timestamps), entities decoded, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if not right:
        return left
    return f"{left} {right}"


def merge_segments(segments: Iterable[RawTurn], *, min_words: int = 0, pause: float = 2.0) -> tuple[RawTurn, ...]:
    keyed: list[tuple[float, RawTurn]] = []
    known = float("-inf")
    for segment in segments:
        known = segment.start if segment.start is not None else known
        if segment.text.strip():
            keyed.append((known, segment))
    ordered = [segment for _, segment in sorted(keyed, key=lambda pair: pair[0])]
    turns: list[RawTurn] = []
    for segment in ordered:
        if turns and _continues(turns[-1], segment, min_words, pause):
            last = turns[-1]
            end = max((e for e in (last.end, segment.end) if e is not None), default=None)
            turns[-1] = replace(last, text=_join(last.text, segment.text.strip()), end=end)
        else:
            turns.append(replace(segment, text=segment.text.strip()))
    return tuple(turns)


def _continues(turn: RawTurn, segment: RawTurn, min_words: int, pause: float) -> bool:
    if turn.speaker != segment.speaker:
        return False
    if turn.speaker is not None:
        return True
    if not ends_sentence(turn.text):
        return True
    gap = (segment.start - turn.end) if segment.start is not None and turn.end is not None else 0.0
    return len(turn.text.split()) < min_words and gap < pause
