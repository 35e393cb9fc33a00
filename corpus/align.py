"""Lining up two copies of one conversation.

`reconcile` compares two transcripts in the same language turn by turn and
lists the turns whose words really differ (typography is not a difference).
`align_translation` pairs translated turns with original turns by order,
checking timestamp and speaker, and says where the translation stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.text_norm import ends_sentence, words


@dataclass(frozen=True)
class Cue:
    """A turn reduced to what alignment looks at."""

    start: int
    speaker: str
    text: str


@dataclass(frozen=True)
class Difference:
    ordinal: int
    timestamp: int
    detail: str


def _word_diff(a: list[str], b: list[str]) -> str:
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    left = " ".join(a[prefix : len(a) - suffix]) or "(nothing)"
    right = " ".join(b[prefix : len(b) - suffix]) or "(nothing)"
    return f"'{left}' vs '{right}'"


def reconcile(primary: Sequence[Cue], other: Sequence[Cue]) -> list[Difference]:
    """Differences between two same-language copies; extra turns at either end count too."""
    diffs: list[Difference] = []
    for ordinal, (a, b) in enumerate(zip(primary, other, strict=False)):
        if (a.start, a.speaker) != (b.start, b.speaker):
            diffs.append(Difference(ordinal, a.start, f"turn heading differs: {a.speaker}@{a.start} vs {b.speaker}@{b.start}"))
            continue
        wa, wb = words(a.text), words(b.text)
        if wa != wb:
            diffs.append(Difference(ordinal, a.start, _word_diff(wa, wb)))
    for ordinal in range(len(other), len(primary)):
        diffs.append(Difference(ordinal, primary[ordinal].start, "only in the primary copy"))
    for ordinal in range(len(primary), len(other)):
        diffs.append(Difference(ordinal, other[ordinal].start, "only in the other copy"))
    return diffs


@dataclass(frozen=True)
class Alignment:
    pairs: dict[int, str]
    """original ordinal -> translated text"""
    cut_off: int | None
    """ordinal of the last translated turn when the translation stops mid-sentence"""
    problems: list[str]


def align_translation(original: Sequence[Cue], translated: Sequence[Cue]) -> Alignment:
    """Pair translated turns to original turns in order; each pair must share start and speaker.

    A translated turn that matches no original turn at or after the cursor is
    reported and skipped (nothing is silently attached to the wrong turn).
    """
    pairs: dict[int, str] = {}
    problems: list[str] = []
    cursor = 0
    for index, cue in enumerate(translated):
        probe = cursor
        while probe < len(original) and (original[probe].start, original[probe].speaker) != (cue.start, cue.speaker):
            if original[probe].start > cue.start:
                probe = len(original)
                break
            probe += 1
        if probe >= len(original):
            problems.append(f"translated turn {index} ({cue.speaker}@{cue.start}s) matches no original turn")
            continue
        pairs[probe] = cue.text
        cursor = probe + 1
    cut_off = None
    if pairs:
        last = max(pairs)
        if last < len(original) - 1 and not ends_sentence(pairs[last]):
            cut_off = last
    return Alignment(pairs=pairs, cut_off=cut_off, problems=problems)
