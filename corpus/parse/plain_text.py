"""Plain text: one turn a paragraph, with an optional `Name:` label and `[HH:MM:SS]` time.

Accepted openings: `Name: text`, `Name [00:01:02]: text`, `[00:01:02] Name: text`,
`[00:01:02] text`. A paragraph without a label continues the previous speaker
when the file labels speakers, and has no speaker when it never does. Blank
lines separate paragraphs; a labelled line also starts a new one.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.clock import parse_clock
from corpus.errors import ParseError
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import merge_segments
from corpus.parse.srt import split_speaker

_LEADING_CLOCK = re.compile(r"^[\[(](?P<clock>\d+:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]\s*")
_LABEL_CLOCK = re.compile(r"^(?P<name>[^\[\]:]{1,60}?)\s*[\[(](?P<clock>\d+:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]\s*:\s*(?P<text>.*)$")


def looks_like(text: str) -> bool:
    return bool(text.strip()) and "\x00" not in text


def _opening(path: Path, number: int, line: str) -> tuple[bool, str | None, float | None, str]:
    """(starts a turn, speaker, start, text) for one line."""
    clock: str | None = None
    match = _LABEL_CLOCK.match(line)
    if match is not None:
        name, clock, rest = match["name"].strip(), match["clock"], match["text"]
    else:
        lead = _LEADING_CLOCK.match(line)
        if lead is not None:
            clock, line = lead["clock"], line[lead.end() :]
        label, rest = split_speaker(line)
        name = label or ""
    start = None
    if clock is not None:
        start = parse_clock(clock)
        if start is None:
            raise ParseError(path, number, f"bad timestamp '{clock}' (expected HH:MM:SS)")
    return bool(name) or clock is not None, name or None, start, rest.strip()


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ParseError(path, text[: text.index("\x00")].count("\n") + 1, "binary data in a text transcript")
    segments: list[RawTurn] = []
    labelled = False
    speaker: str | None = None
    current: dict[str, object] | None = None
    parts: list[str] = []

    def flush() -> None:
        if current is not None and parts:
            start = current["start"]
            segments.append(
                RawTurn(
                    speaker=current["speaker"] if isinstance(current["speaker"], str) else None,
                    start=start if isinstance(start, float) else None,
                    text=" ".join(parts),
                    line=int(str(current["line"])),
                )
            )

    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if not line:
            flush()
            current, parts = None, []
            continue
        opens, name, start, rest = _opening(path, number, line)
        if opens:
            flush()
            if name is not None:
                labelled, speaker = True, name
            current, parts = {"speaker": speaker if labelled else None, "start": start, "line": number}, []
            if rest:
                parts.append(rest)
        elif current is None:
            current, parts = {"speaker": speaker if labelled else None, "start": None, "line": number}, [line]
        else:
            parts.append(line)
    flush()
    turns = merge_segments(segments)
    if not turns:
        raise ParseError(path, None, "no text")
    return RawDocument(path=str(path), language=language, turns=turns)
