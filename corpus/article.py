"""The prose around a transcript: sections, the guest list, and the launches it links."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.model import ArticleSection
from corpus.text_norm import slugify


def split_sections(text: str, headings: Sequence[str]) -> tuple[ArticleSection, ...]:
    """Cut `text` at each heading, searched in order; a heading not found is skipped.

    Text before the first heading is an untitled intro; sections left empty
    (such as a closing 'Transcript' heading) are dropped.
    """
    cuts: list[tuple[int, int, str]] = []
    position = 0
    for heading in headings:
        match = re.compile(rf"(?:^|(?<=\s)){re.escape(heading)}(?=\s|$)").search(text, position)
        if match is None:
            continue
        cuts.append((match.start(), match.end(), heading))
        position = match.end()
    sections: list[ArticleSection] = []
    intro_end = cuts[0][0] if cuts else len(text)
    if text[:intro_end].strip():
        sections.append(ArticleSection(heading=None, text=text[:intro_end].strip()))
    for (_, end, heading), following in zip(cuts, [*cuts[1:], None], strict=True):
        body = text[end : following[0] if following else len(text)].strip()
        if body:
            sections.append(ArticleSection(heading=heading, text=body))
    return tuple(sections)


@dataclass(frozen=True)
class Guest:
    name: str
    role: str
    links: tuple[str, ...]


_GUEST = re.compile(
    r"(?P<name>[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){1,3}): (?P<role>[^:]+?)(?P<links>(?: https?://\S+)+)"
)


def parse_guests(section_text: str) -> tuple[Guest, ...]:
    """`'Sherwin Wu: Head of Engineering, OpenAI Platform https://... https://...'` -> Guest records."""
    return tuple(
        Guest(m["name"], m["role"].strip(), tuple(m["links"].split()))
        for m in _GUEST.finditer(section_text)
    )


@dataclass(frozen=True)
class LinkedLaunch:
    id: str
    name: str
    kind: str
    url: str
    note: str | None


_LINK = re.compile(r"\((?P<kind>[a-z][a-z ]{1,20})\): (?P<url>https?://\S+)(?: \((?P<note>[^()]{1,60})\))?")
_LONG_RUN = 6


def parse_linked_launches(text: str) -> tuple[LinkedLaunch, ...]:
    """Launches written as `name (kind): URL (note)`.

    A name runs from the end of the previous entry; for the first entry, or when
    the run is prose (more than a few words), the name is what follows its last ': '.
    """
    found: list[LinkedLaunch] = []
    previous_end = 0
    for match in _LINK.finditer(text):
        run = text[previous_end : match.start()].strip()
        if (previous_end == 0 or len(run.split()) > _LONG_RUN) and ": " in run:
            run = run.rsplit(": ", 1)[1].strip()
        if run and len(run.split()) <= _LONG_RUN:
            url = match["url"].rstrip(".,;")
            found.append(LinkedLaunch(slugify(run), run, match["kind"], url, match["note"]))
        previous_end = match.end()
    return tuple(found)
