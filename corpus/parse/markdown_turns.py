"""Markdown transcripts: one turn a paragraph, `**Speaker** [HH:MM:SS]: text`.

A paragraph that does not open with a speaker label continues the previous
turn (so a line break inside a turn loses nothing); text before the first
label is an error, since it would otherwise be dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.clock import parse_clock
from corpus.errors import ParseError
from corpus.parse.raw import RawDocument, RawTurn

_LABEL = re.compile(r"^\*\*(?P<speaker>[^*]+?)\*\*\s*\[(?P<clock>[\d:.,]+)\]\s*:\s*(?P<text>.*)$")


def looks_like(text: str) -> bool:
    first = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    return _LABEL.match(first.strip()) is not None


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    turns: list[RawTurn] = []
    pending: dict[str, object] | None = None
    parts: list[str] = []

    def flush() -> None:
        if pending is not None:
            body = " ".join(p for p in parts if p).strip()
            turns.append(
                RawTurn(
                    speaker=str(pending["speaker"]),
                    start=float(pending["start"]),  # type: ignore[arg-type]
                    text=body,
                    line=int(pending["line"]),  # type: ignore[call-overload]
                )
            )

    for number, raw_line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        match = _LABEL.match(line)
        if match is None:
            if pending is None:
                raise ParseError(path, number, "text before the first '**Speaker** [HH:MM:SS]:' label")
            parts.append(line)
            continue
        start = parse_clock(match["clock"])
        if start is None:
            raise ParseError(path, number, f"bad timestamp '[{match['clock']}]' (expected HH:MM:SS)")
        flush()
        pending = {"speaker": match["speaker"].strip(), "start": start, "line": number}
        parts = [match["text"].strip()]
    flush()
    if not turns:
        raise ParseError(path, None, "no '**Speaker** [HH:MM:SS]: text' turns found")
    return RawDocument(path=str(path), language=language, turns=tuple(turns))
