"""Whisper JSON (`{"text", "segments": [{"start", "end", "text"}], "language"}`): no speakers.

Segments are joined while they are sentence fragments, and short sentences are
joined until a pause (`merge_segments` with `min_words`), so a turn reads like
a paragraph; every turn's speaker is unknown.
"""

from __future__ import annotations

from pathlib import Path

from corpus.errors import ParseError
from corpus.parse.json_segments import load_segments, number, string
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import clean_text, merge_segments

_LANGUAGES = {"english": "en", "korean": "ko"}
TURN_WORDS = 40


def looks_like(text: str) -> bool:
    head = text.lstrip("\ufeff").lstrip()[:4000]
    return head.startswith("{") and '"segments"' in head and '"start"' in head and '"text"' in head


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    document, segments = load_segments(path, text)
    raw: list[RawTurn] = []
    for line, segment in segments:
        if not isinstance(segment, dict):
            raise ParseError(path, line, "each segment must be an object")
        start = number(path, line, segment, "start")
        end = number(path, line, segment, "end", required=False)
        if start is not None and end is not None and end < start:
            raise ParseError(path, line, f"segment ends ({end}) before it starts ({start})")
        words = clean_text(string(path, line, segment, "text") or "")
        if words:
            raw.append(RawTurn(None, start, words, line, end))
    turns = merge_segments(raw, min_words=TURN_WORDS)
    if not turns:
        raise ParseError(path, None, "no segments with text")
    declared = document.get("language")
    if isinstance(declared, str) and declared.strip():
        language = _LANGUAGES.get(declared.strip().lower(), declared.strip().lower().split("-")[0])
    return RawDocument(path=str(path), language=language, turns=turns)
