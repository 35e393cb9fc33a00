"""SubRip captions: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, speaker from a `Name:` prefix.

A cue without a prefix continues the previous cue's speaker (captioners label
only the changes); cues become turns through `merge_segments`. The cue number
is optional; a block with no timing line is an error naming its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.errors import ParseError
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import clean_text, merge_segments
from corpus.parse.webvtt import timing

_HANGUL = "\uac00-\ud7a3"
# `Alice:`, `Dr. Jane Smith:`, `SPEAKER 1:`, `스윅스:`, `셔윈(Sherwin):`, with an optional `- ` or `>> ` lead.
SPEAKER_PREFIX = re.compile(
    rf"^(?:-\s*|>>\s*)?(?P<name>(?:[A-Z][\w.'-]*|[{_HANGUL}]+)(?:\s+(?:[A-Z][\w.'-]*|\d+|[{_HANGUL}]+)){{0,3}}"
    rf"(?:\s*\([^()]{{1,40}}\))?)\s*:\s+(?P<text>.*)$",
    re.DOTALL,
)


def looks_like(text: str) -> bool:
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()[:4] if line.strip()]
    return len(lines) >= 2 and lines[0].isdigit() and "-->" in lines[1]


def split_speaker(text: str) -> tuple[str | None, str]:
    match = SPEAKER_PREFIX.match(text)
    if match is None:
        return None, text
    return match["name"].strip(), match["text"]


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    segments: list[RawTurn] = []
    speaker: str | None = None
    block: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal speaker
        if not block:
            return
        number, head = block[0]
        timing_at = 0 if "-->" in head else 1
        if timing_at == 1 and (not head.strip().isdigit() or len(block) < 2 or "-->" not in block[1][1]):
            raise ParseError(
                path, number, f"expected a cue number and a timing line 'HH:MM:SS,mmm --> HH:MM:SS,mmm', got {head.strip()[:60]!r}"
            )
        start, end = timing(path, block[timing_at][0], block[timing_at][1])
        body = clean_text(" ".join(line for _, line in block[timing_at + 1 :]))
        if not body:
            return
        label, words = split_speaker(body)
        if label is not None:
            speaker = label
        if words.strip():
            segments.append(RawTurn(speaker, start, words.strip(), number, end))

    for number, line in enumerate(lines, start=1):
        if line.strip():
            block.append((number, line))
        else:
            flush()
            block = []
    flush()
    turns = merge_segments(segments)
    if not turns:
        raise ParseError(path, None, "no cues with text")
    return RawDocument(path=str(path), language=language, turns=turns)
