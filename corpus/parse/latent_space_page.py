"""Latent Space show pages saved as bilingual text.

Layout (line numbers are the file's):

    # **<title in the translation's language>**
    Author: <author>
    URL: <url>
    ============
    **ORIGINAL TEXT**:
    <one line: English article, then turns `Name [HH:MM:SS]: text ...`>
    **Korean Translation**:
    <one line: the same in Korean, labels like `셔윈(Sherwin) [00:00:38]:`>

The transcript starts at the first speaker label; everything before it is the
article. A speaker label is the single token before ` [HH:MM:SS]: `.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.clock import parse_clock
from corpus.errors import ParseError
from corpus.parse.raw import RawDocument, RawTurn

_MARKERS = {"**ORIGINAL TEXT**:": "en", "**Korean Translation**:": "ko"}
_TURN = re.compile(r"(?:^|(?<=\s))(?P<speaker>[^\s\[\]]+) \[(?P<clock>\d{1,2}:\d{2}:\d{2})\]: ")
_TITLE = re.compile(r"^#\s*(?:\*\*)?(?P<title>.+?)(?:\*\*)?\s*$")


def looks_like(text: str) -> bool:
    return "**ORIGINAL TEXT**:" in text[:5000]


def _split_turns(path: Path, line: int, body: str) -> tuple[str, tuple[RawTurn, ...]]:
    matches = list(_TURN.finditer(body))
    if not matches:
        return body.strip(), ()
    turns: list[RawTurn] = []
    for here, after in zip(matches, [*matches[1:], None], strict=True):
        end = after.start() if after is not None else len(body)
        start = parse_clock(here["clock"])
        if start is None:
            raise ParseError(path, line, f"bad timestamp '[{here['clock']}]' after '{here['speaker']}'")
        turns.append(RawTurn(here["speaker"], start, body[here.end() : end].strip(), line))
    return body[: matches[0].start()].strip(), tuple(turns)


def parse(path: Path, text: str) -> RawDocument:
    lines = text.lstrip("\ufeff").splitlines()
    title = author = url = None
    bodies: dict[str, tuple[int, str]] = {}
    current: str | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or set(line) == {"="}:
            continue
        if line in _MARKERS:
            current = _MARKERS[line]
            if current in bodies:
                raise ParseError(path, number, f"second '{line}' section")
            continue
        if current is not None:
            start_line, previous = bodies.get(current, (number, ""))
            bodies[current] = (start_line, f"{previous} {line}".strip())
        elif title is None and (m := _TITLE.match(line)):
            title = m["title"].strip()
        elif line.startswith("Author:"):
            author = line.removeprefix("Author:").strip()
        elif line.startswith("URL:"):
            url = line.removeprefix("URL:").strip()
        else:
            raise ParseError(path, number, "unexpected text before '**ORIGINAL TEXT**:'")
    if "en" not in bodies:
        raise ParseError(path, None, "no '**ORIGINAL TEXT**:' section")
    article: dict[str, str] = {}
    turns: dict[str, tuple[RawTurn, ...]] = {}
    for language, (line_no, body) in bodies.items():
        article[language], turns[language] = _split_turns(path, line_no, body)
    if not turns["en"]:
        raise ParseError(path, bodies["en"][0], "no 'Name [HH:MM:SS]:' turns in the original text")
    titles = {"ko": title} if title and "ko" in bodies else ({"en": title} if title else {})
    return RawDocument(
        path=str(path),
        language="en",
        turns=turns["en"],
        translations={k: v for k, v in turns.items() if k != "en"},
        article=article,
        title=titles,
        author=author,
        url=url,
    )
