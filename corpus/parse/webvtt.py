"""WebVTT captions: speakers from voice spans (`<v Name>text</v>`).

A cue without a voice span continues the previous cue's speaker; cues become
turns through `corpus.parse.segments.merge_segments`. NOTE, STYLE and REGION
blocks are skipped; a block that is neither a cue nor one of those is an error
naming its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.clock import parse_clock
from corpus.errors import ParseError
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import clean_text, merge_segments

_TIMING = re.compile(r"^(?P<start>\S+)\s+-->\s+(?P<end>\S+)(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>", re.IGNORECASE)
_SKIPPED = ("NOTE", "STYLE", "REGION")


def looks_like(text: str) -> bool:
    return text.lstrip("\ufeff").startswith("WEBVTT")


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def timing(path: Path, line: int, value: str) -> tuple[float, float]:
    """`'00:00:01.000 --> 00:00:02.500'` (settings after it are ignored) -> (start, end)."""
    match = _TIMING.match(value.strip())
    if match is None:
        raise ParseError(path, line, f"expected a cue timing 'HH:MM:SS.mmm --> HH:MM:SS.mmm', got {value.strip()[:60]!r}")
    start, end = parse_clock(match["start"]), parse_clock(match["end"])
    if start is None or end is None:
        bad = match["start"] if start is None else match["end"]
        raise ParseError(path, line, f"bad timestamp {bad!r} (expected HH:MM:SS.mmm)")
    if end < start:
        raise ParseError(path, line, f"cue ends ({match['end']}) before it starts ({match['start']})")
    return start, end


def _voices(payload: str, speaker: str | None) -> list[tuple[str | None, str]]:
    """Split a cue's payload at voice spans: [(speaker, text), ...]."""
    parts: list[tuple[str | None, str]] = []
    position = 0
    for match in _VOICE.finditer(payload):
        parts.append((speaker, payload[position : match.start()]))
        name = (match["name"] or "").strip()
        speaker = name or None
        position = match.end()
    parts.append((speaker, payload[position:]))
    return [(who, clean_text(text)) for who, text in parts if clean_text(text)]


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise ParseError(path, 1, "a WebVTT file starts with 'WEBVTT'")
    blocks = _blocks(lines)
    for header in blocks[0][1][1:] if blocks else []:
        key, _, value = header.partition(":")
        if key.strip().lower() == "language" and value.strip():
            language = value.strip().split("-")[0].lower()
    segments: list[RawTurn] = []
    speaker: str | None = None
    for number, block in blocks[1:]:
        head = block[0].strip()
        if head.split(" ", 1)[0] in _SKIPPED:
            continue
        if "-->" in head:
            timing_at = 0
        elif len(block) > 1 and "-->" in block[1]:
            timing_at = 1
        else:
            raise ParseError(path, number, f"expected a cue (an optional id, then 'start --> end'), got {head[:60]!r}")
        start, end = timing(path, number + timing_at, block[timing_at])
        payload = "\n".join(block[timing_at + 1 :])
        for who, words in _voices(payload, speaker):
            speaker = who
            segments.append(RawTurn(who, start, words, number, end))
    turns = merge_segments(segments)
    if not turns:
        raise ParseError(path, None, "no cues with text")
    return RawDocument(path=str(path), language=language, turns=turns)
