"""Parsers: one module per transcript format, text in, RawDocument out.

`PARSERS` maps a format name to its module; `detect_format` picks one from
the file's name and first characters when the sidecar does not say.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corpus.errors import ParseError
from corpus.parse import html_transcript, latent_space_page, markdown_turns, plain_text, podcast20, srt, webvtt, whisper
from corpus.parse.raw import RawDocument, RawTurn

Parser = Callable[[Path, str], RawDocument]

PARSERS: dict[str, Parser] = {
    "latent-space-page": latent_space_page.parse,
    "markdown-turns": markdown_turns.parse,
    "webvtt": webvtt.parse,
    "srt": srt.parse,
    "podcast20-json": podcast20.parse,
    "whisper-json": whisper.parse,
    "plain-text": plain_text.parse,
    "html": html_transcript.parse,
}

_DETECTORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("latent-space-page", latent_space_page.looks_like),
    ("markdown-turns", markdown_turns.looks_like),
    ("webvtt", webvtt.looks_like),
    ("srt", srt.looks_like),
    ("podcast20-json", podcast20.looks_like),
    ("whisper-json", whisper.looks_like),
)
# What a file's extension says, when its first characters do not settle it.
_BY_SUFFIX = {".vtt": "webvtt", ".srt": "srt", ".txt": "plain-text", ".text": "plain-text", ".html": "html", ".htm": "html"}
TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt", ".json", ".txt", ".text", ".md"})


def detect_format(path: Path, text: str) -> str:
    """By content first (the known layouts have unmistakable openings), then by extension."""
    for name, looks_like in _DETECTORS:
        if looks_like(text):
            return name
    by_suffix = _BY_SUFFIX.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    if path.suffix.lower() == ".json":
        raise ParseError(path, 1, "JSON that is neither a Podcasting 2.0 transcript nor Whisper output (no 'segments' list)")
    if plain_text.looks_like(text):
        return "plain-text"
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


__all__ = ["PARSERS", "TRANSCRIPT_SUFFIXES", "RawDocument", "RawTurn", "detect_format", "parse_file", "read_text"]
