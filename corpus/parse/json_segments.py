"""Reading a JSON transcript's `segments` array with the line each segment starts on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from corpus.errors import ParseError

_SEGMENTS = re.compile(r'"segments"\s*:\s*\[')


def load_segments(path: Path, text: str) -> tuple[dict[str, Any], list[tuple[int, Any]]]:
    """The document object and its segments as `(line, segment)`; bad JSON is a ParseError at its line."""
    text = text.lstrip("\ufeff")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    if not isinstance(document, dict):
        raise ParseError(path, 1, "expected a JSON object with a 'segments' list")
    segments = document.get("segments")
    if not isinstance(segments, list):
        raise ParseError(path, 1, "expected a 'segments' list")
    lines = _segment_lines(text, len(segments))
    return document, list(zip(lines, segments, strict=True))


def _segment_lines(text: str, count: int) -> list[int]:
    """Line of each element of the top-level `segments` array (line 1 if it cannot be located)."""
    decoder = json.JSONDecoder()
    found: list[int] = []
    for match in _SEGMENTS.finditer(text):
        position = match.end()
        found = []
        counted, line = 0, 1
        try:
            while True:
                while position < len(text) and text[position] in " \t\n\r,":
                    position += 1
                if position >= len(text) or text[position] == "]":
                    break
                line += text.count("\n", counted, position)
                counted = position
                found.append(line)
                _, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            continue
        if len(found) == count:
            return found
    return [1] * count


def number(path: Path, line: int, segment: dict[str, Any], key: str, *, required: bool = True) -> float | None:
    value = segment.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ParseError(path, line, f"segment '{key}' must be a number of seconds >= 0, not {value!r}")
    return float(value)


def string(path: Path, line: int, segment: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = segment.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ParseError(path, line, f"segment '{key}' must be a string, not {value!r}")
    return value
