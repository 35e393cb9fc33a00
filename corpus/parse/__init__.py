"""Parsers: one module per transcript format, text in, RawDocument out.

`PARSERS` maps a format name to its module; `detect_format` picks one from
the file's name and first characters when the sidecar does not say.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corpus.errors import ParseError
from corpus.parse import latent_space_page, markdown_turns
from corpus.parse.raw import RawDocument, RawTurn

Parser = Callable[[Path, str], RawDocument]

PARSERS: dict[str, Parser] = {
    "latent-space-page": latent_space_page.parse,
    "markdown-turns": markdown_turns.parse,
}

_DETECTORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("latent-space-page", latent_space_page.looks_like),
    ("markdown-turns", markdown_turns.looks_like),
)


def detect_format(path: Path, text: str) -> str:
    for name, looks_like in _DETECTORS:
        if looks_like(text):
            return name
    raise ParseError(path, 1, f"unrecognised transcript format (known: {', '.join(sorted(PARSERS))})")


def read_text(path: Path) -> str:
    """A corpus file's text: UTF-8 (a BOM is dropped), newlines normalised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(path, None, f"cannot read: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(path, line, "not UTF-8 text") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_file(path: Path, format_name: str | None = None) -> RawDocument:
    text = read_text(path)
    name = format_name or detect_format(path, text)
    parser = PARSERS.get(name)
    if parser is None:
        raise ParseError(path, None, f"unknown format '{name}' (known: {', '.join(sorted(PARSERS))})")
    return parser(path, text)


__all__ = ["PARSERS", "RawDocument", "RawTurn", "detect_format", "parse_file", "read_text"]
