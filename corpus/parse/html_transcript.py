"""HTML transcripts (Podcasting 2.0 allows `text/html`): text in, turns out, no markup kept.

Two layouts are read. The one the Podcasting 2.0 transcript spec shows:
`<cite>Name:</cite> <time>00:01:02</time> <p>text</p>`, a `<cite>` naming the
speaker and a `<time>` the start of the paragraphs that follow. Any other HTML
is read as plain text (`corpus.parse.plain_text`), one paragraph a block element
(`<p>`, `<div>`, `<li>`, headings, `<br>`), with its optional `Name:` labels and
`[HH:MM:SS]` times. Scripts, styles and the document head are skipped; nothing
is fetched or run (the standard library's `html.parser`, which resolves no
entities beyond the named ones of HTML).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from corpus.clock import parse_clock
from corpus.errors import ParseError
from corpus.parse import plain_text
from corpus.parse.raw import RawDocument, RawTurn
from corpus.parse.segments import clean_text, merge_segments

_BLOCKS = frozenset({"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section", "article", "dd", "dt"})
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})


def looks_like(text: str) -> bool:
    head = text.lstrip("\ufeff").lstrip()[:1000].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<p>" in head and "<cite>" in head)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []  # (line, text) of each block, for the plain layout
        self.turns: list[RawTurn] = []  # the cite/time layout
        self.cited = False
        self._skip = 0
        self._field: str | None = None  # 'cite' or 'time' while inside one
        self._text: list[str] = []
        self._line = 1
        self._speaker: str | None = None
        self._start: float | None = None

    def _flush(self) -> None:
        text = clean_text("".join(self._text))
        if text:
            self.blocks.append((self._line, text))
            if self.cited:
                self.turns.append(RawTurn(self._speaker, self._start, text, self._line))
        self._text = []
        self._line = self.getpos()[0]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag in ("cite", "time"):
            self._flush()
            self._field, self._value = tag, []
            self.cited |= tag == "cite"
        elif tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in ("cite", "time") and self._field == tag:
            value = clean_text("".join(self._value))
            if tag == "cite":
                self._speaker = value.rstrip(":").strip() or None
            else:
                self._start = parse_clock(value)
            self._field = None
            self.blocks.append((self.getpos()[0], f"[{value}]" if tag == "time" else value))
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._field is not None:
            self._value.append(data)
        else:
            if not self._text:
                self._line = self.getpos()[0]
            self._text.append(data)

    _value: list[str]


def parse(path: Path, text: str, language: str = "en") -> RawDocument:
    if "\x00" in text:
        raise ParseError(path, text[: text.index("\x00")].count("\n") + 1, "binary data in an HTML transcript")
    reader = _Reader()
    reader.feed(text)
    reader.close()
    reader._flush()
    if reader.cited:
        turns = merge_segments(reader.turns)
        if not turns:
            raise ParseError(path, None, "no paragraphs of text after the <cite> speaker labels")
        return RawDocument(path=str(path), language=language, turns=turns)
    if not reader.blocks:
        raise ParseError(path, None, "no text in the HTML transcript")
    document = plain_text.parse(path, "\n\n".join(block for _, block in reader.blocks), language)
    return document
