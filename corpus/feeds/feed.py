"""A podcast feed's XML -> `Feed`: plain, frozen dataclasses, no I/O.

feedparser reads the feed's RSS or Atom (titles, links, GUIDs, dates in any of the
formats feeds use, `itunes:duration`, the character set), but keeps one of each
namespaced element an item repeats, without its attributes. So the Podcasting 2.0
elements (`podcast:transcript`, `podcast:chapters`, `podcast:person`) are read from the
same bytes with the standard library's expat parser, item by item, and matched to
feedparser's entries by GUID.

Hostile input: the caller caps the bytes before they get here (fetch.py); a feed that
declares XML entities is refused outright (the billion-laughs family), and neither
parser fetches anything (no external DTDs or entities).
"""

from __future__ import annotations

import calendar
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import feedparser

from corpus.errors import FeedError

PODCAST_NAMESPACES = frozenset({
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",  # the draft's URI, still in use
})
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}")
HOST_ROLES = frozenset({"host", "co-host", "guest host"})


@dataclass(frozen=True)
class TranscriptLink:
    url: str
    type: str
    """The MIME type, lower case, without parameters ('text/vtt'); '' when the feed gives none."""
    language: str | None
    rel: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"
    """As the feed says, lower case; the namespace's default is 'host'."""
    group: str = "cast"
    href: str | None = None


@dataclass(frozen=True)
class FeedEpisode:
    guid: str
    title: str | None
    link: str | None
    published: str | None
    """ISO 8601 in UTC, 'YYYY-MM-DDTHH:MM:SSZ'; None when the feed gives no date it can read."""
    duration_seconds: int | None
    transcripts: tuple[TranscriptLink, ...]
    chapters_url: str | None
    persons: tuple[Person, ...]
    """The episode's own `podcast:person`s, or the channel's when it has none (the namespace's rule)."""


@dataclass(frozen=True)
class Feed:
    title: str | None
    link: str | None
    language: str | None
    """The primary language subtag, lower case ('en' for 'en-US'); None when the feed gives none."""
    author: str | None
    episodes: tuple[FeedEpisode, ...]
    warnings: tuple[str, ...] = ()


def language_code(value: object) -> str | None:
    """'en-US' -> 'en'; None for anything that is not a language tag."""
    if not isinstance(value, str):
        return None
    match = _LANGUAGE.match(value.strip())
    return match.group(0).lower() if match else None


def parse_duration(value: object) -> int | None:
    """`itunes:duration`: seconds, 'MM:SS' or 'HH:MM:SS' -> seconds."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > 20:
        return None
    parts = text.split(":")
    if len(parts) > 3 or not all(part.isascii() and part.replace(".", "", 1).isdigit() for part in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return int(seconds)


def _iso(parsed: Any) -> str | None:
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        stamp = calendar.timegm(parsed)
    except (OverflowError, ValueError):
        return None
    if not 0 <= stamp < 253402300800:  # 1970 to 9999: a year the sidecar can write
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _web_link(value: Any) -> str | None:
    """An http(s) link, else None (feedparser takes a GUID that is not a URL for a link)."""
    text = _text(value)
    return text if text is not None and text.lower().startswith(("http://", "https://")) else None


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


@dataclass(frozen=True)
class _Extras:
    transcripts: tuple[TranscriptLink, ...] = ()
    chapters_url: str | None = None
    persons: tuple[Person, ...] = ()


def _person(element: ET.Element) -> Person | None:
    name = " ".join((element.text or "").split())
    if not name:
        return None
    return Person(
        name=name[:200],
        role=(element.get("role") or "host").strip().lower(),
        group=(element.get("group") or "cast").strip().lower(),
        href=element.get("href"),
    )


def _extras(parent: ET.Element) -> _Extras:
    """The Podcasting 2.0 elements directly under an item (or the channel)."""
    transcripts: list[TranscriptLink] = []
    chapters: str | None = None
    persons: list[Person] = []
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        namespace, name = _local(child.tag)
        if namespace not in PODCAST_NAMESPACES:
            continue
        if name == "transcript" and child.get("url"):
            kind = (child.get("type") or "").split(";")[0].strip().lower()
            transcripts.append(TranscriptLink(str(child.get("url")).strip(), kind, language_code(child.get("language")), child.get("rel")))
        elif name == "chapters" and child.get("url") and chapters is None:
            chapters = str(child.get("url")).strip()
        elif name == "person":
            person = _person(child)
            if person is not None:
                persons.append(person)
    return _Extras(tuple(transcripts), chapters, tuple(persons))


def _item_guid(item: ET.Element) -> str | None:
    for child in item:
        if isinstance(child.tag, str) and _local(child.tag)[1] in ("guid", "id") and (child.text or "").strip():
            return (child.text or "").strip()
    return None


def _namespace_pass(data: bytes) -> tuple[_Extras, list[tuple[str | None, _Extras]], str | None]:
    """(the channel's extras, each item's (GUID, extras) in order, a warning or None)."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - capped bytes, entity declarations refused before
    except ET.ParseError as exc:
        return _Extras(), [], f"the Podcasting 2.0 tags could not be read ({exc}); episodes without transcripts"
    channel = root.find("channel")
    container = channel if channel is not None else root
    items = [child for child in container if isinstance(child.tag, str) and _local(child.tag)[1] in ("item", "entry")]
    return _extras(container), [(_item_guid(item), _extras(item)) for item in items], None


def _prolog(data: bytes) -> bytes:
    """What precedes the root element, where a DTD (and its entity declarations) must be; all of it
    when there is no root element to find (the parsers are then given nothing they could expand)."""
    root = _ROOT.search(data)
    return data[: root.start()] if root else data


def parse_feed(data: bytes, feed: str) -> Feed:
    """Read a feed's bytes (see the module doc); a FeedError names `feed` when it is not one."""
    if _ENTITY.search(_prolog(data)):
        raise FeedError(feed, "the feed declares XML entities (<!ENTITY>); refused, as such a feed can expand without bound")
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no <rss> or <feed> element"
        raise FeedError(feed, f"not an RSS or Atom feed: {reason}")
    channel, items, warning = _namespace_pass(data)
    by_guid = {guid: extras for guid, extras in items if guid}
    warnings = [warning] if warning else []
    episodes: list[FeedEpisode] = []
    for position, entry in enumerate(parsed.entries):
        enclosure = next((e.get("href") for e in entry.get("enclosures", []) if e.get("href")), None)
        guid = _text(entry.get("id")) or _text(entry.get("link")) or _text(enclosure)
        if guid is None:
            warnings.append(f"item {position + 1} ({_text(entry.get('title')) or 'untitled'}) has no GUID, link or enclosure: skipped")
            continue
        extras = by_guid.get(guid)
        if extras is None and len(items) == len(parsed.entries):
            extras = items[position][1]
        extras = extras or _Extras()
        episodes.append(
            FeedEpisode(
                guid=guid[:1000],
                title=_text(entry.get("title")),
                link=_web_link(entry.get("link")),
                published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
                duration_seconds=parse_duration(entry.get("itunes_duration")),
                transcripts=extras.transcripts,
                chapters_url=extras.chapters_url,
                persons=extras.persons or channel.persons,
            )
        )
    meta = parsed.feed
    return Feed(
        title=_text(meta.get("title")),
        link=_web_link(meta.get("link")),
        language=language_code(meta.get("language")),
        author=_text(meta.get("author")) or _text(meta.get("itunes_author")),
        episodes=tuple(episodes),
        warnings=tuple(warnings),
    )
