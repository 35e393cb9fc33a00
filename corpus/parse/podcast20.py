"""Podcasting 2.0 transcript JSON: `{"version", "segments": [{"speaker", "startTime", "endTime", "body"}]}`.

Segments are often single words or phrases; consecutive segments of one
speaker become a turn (`merge_segments`). A segment without `speaker` continues
the previous speaker.
"""

from __future__ import annotations

from pathlib import Path

from corpus.errors import ParseError
from corpus.parse.json_segments import load_segments, number, string
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import clean_text, merge_segments


def looks_like(text: str) -> bool:
    head = text.lstrip("\ufeff").lstrip()[:4000]
    return head.startswith("{") and '"segments"' in head and ('"startTime"' in head or '"body"' in head)


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    document, segments = load_segments(path, text)
    if "version" not in document:
        raise ParseError(path, 1, "a Podcasting 2.0 transcript has a 'version' field")
    raw: list[RawTurn] = []
    speaker: str | None = None
    for line, segment in segments:
        if not isinstance(segment, dict):
            raise ParseError(path, line, "each segment must be an object")
        body = string(path, line, segment, "body")
        start = number(path, line, segment, "startTime")
        end = number(path, line, segment, "endTime", required=False)
        if start is not None and end is not None and end < start:
            raise ParseError(path, line, f"segment ends ({end}) before it starts ({start})")
        label = string(path, line, segment, "speaker", required=False)
        if label is not None and label.strip():
            speaker = label.strip()
        words = clean_text(body or "")
        if words:
            raw.append(RawTurn(speaker, start, words, line, end))
    turns = merge_segments(raw)
    if not turns:
        raise ParseError(path, None, "no segments with text")
    declared = document.get("language")
    if isinstance(declared, str) and declared.strip():
        language = declared.strip().split("-")[0].lower()
    return RawDocument(path=str(path), language=language, turns=turns)
