"""A podcast feed's XML -> `Feed`: plain, frozen dataclasses, no I/O.

feedparser reads the feed's RSS or Atom (titles, links, GUIDs, dates in any of the
formats feeds use, `itunes:duration`, the character set), but keeps one of each
namespaced element an item repeats, without its attributes. So the Podcasting 2.0
elements (`podcast:transcript`, `podcast:chapters`, `podcast:person`) are read from the
same bytes, item by item, and matched to feedparser's entries by GUID: with expat
through defusedxml when the feed is well-formed XML, else with a lenient scan of its
tags (`html.parser`, which copes with `&nbsp;`, a bare `&` and stray bytes, the
mistakes real feeds make), so that a malformed feed keeps its transcripts.

Hostile input: the caller caps the bytes before they get here (fetch.py). Before
feedparser sees a byte, the feed is parsed by defusedxml, which stops at the first
entity declaration (`<!ENTITY>`, the billion-laughs family) whatever the encoding
(UTF-8, UTF-16, ...) or what precedes it: such a feed is refused with a FeedError.
Neither parser fetches anything (no external DTDs or entities). Text fields lose
their control characters (C0 and C1, but tab and newline).
"""

from __future__ import annotations

import calendar
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from corpus.errors import FeedError
from corpus.text_norm import strip_controls

PODCAST_NAMESPACES = frozenset({
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",  # the draft's URI, still in use
})
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]|$)")
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
    partial: bool = False
    """The Podcasting 2.0 tags could not be read at all (a warning says so): a later run should read the feed again."""


def language_code(value: object) -> str | None:
    """'en-US' -> 'en'; None for anything that is not a language tag ('english', '12')."""
    if not isinstance(value, str):
        return None
    match = _LANGUAGE.match(value.strip())
    return match.group(1).lower() if match else None


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
    return strip_controls(value).strip() or None if isinstance(value, str) else None


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


def _attribute(element: ET.Element, name: str) -> str | None:
    """An attribute's value without control characters, stripped; None when missing or empty."""
    value = element.get(name)
    return strip_controls(value).strip() or None if value is not None else None


def _person(element: ET.Element) -> Person | None:
    name = " ".join(strip_controls(element.text or "").split())
    if not name:
        return None
    return Person(
        name=name[:200],
        role=(_attribute(element, "role") or "host").lower(),
        group=(_attribute(element, "group") or "cast").lower(),
        href=_attribute(element, "href"),
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
        url = _attribute(child, "url")
        if name == "transcript" and url:
            kind = (_attribute(child, "type") or "").split(";")[0].strip().lower()
            transcripts.append(TranscriptLink(url, kind, language_code(_attribute(child, "language")), _attribute(child, "rel")))
        elif name == "chapters" and url and chapters is None:
            chapters = url
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


class _Refused(Exception):
    pass


def _strict(data: bytes) -> ET.Element | None:
    """The feed's XML tree (no entity may be declared: _Refused), or None when it is not well-formed."""
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _Refused(str(exc)) from None
    except (ET.ParseError, ValueError):  # ValueError: an encoding expat cannot read ("multi-byte encodings ...")
        return None
    return root


class _LenientTree(HTMLParser):
    """Rebuilds an ElementTree of a feed that is not well-formed XML: tag names keep their case
    and prefixes are resolved to namespaces from the `xmlns:` attributes seen; entities are never
    expanded beyond HTML's own; a tag left open is closed by its parent's end tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.stack: list[ET.Element] = [self.root]
        self.prefixes: dict[str, str] = {}

    def _name(self, raw: str) -> str:
        prefix, _, local = raw.rpartition(":")
        if prefix and prefix in self.prefixes:
            return "{" + self.prefixes[prefix] + "}" + local
        return local if not prefix else raw

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        original = re.match(r"<\s*([^\s/>]+)", raw)
        name = original.group(1) if original else tag
        for key, value in attrs:
            if key.startswith("xmlns:") and value:
                self.prefixes[key.removeprefix("xmlns:")] = value
        element = ET.SubElement(self.stack[-1], self._name(name), {k: v or "" for k, v in attrs})
        if not raw.rstrip().endswith("/>"):
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if _local(self.stack[depth].tag)[1].lower() == tag.rpartition(":")[2]:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        current = self.stack[-1]
        current.text = (current.text or "") + data

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):
            self.handle_data(data.removeprefix("CDATA["))


def _lenient(data: bytes, encoding: str | None) -> ET.Element | None:
    """The feed's tags read leniently (see _LenientTree), or None when even that fails."""
    try:
        text = data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    parser = _LenientTree()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # html.parser's declaration code asserts on some malformed input
        return None
    return next((child for child in parser.root if _local(child.tag)[1] in ("rss", "feed", "RDF")), parser.root)


def _namespace_pass(root: ET.Element | None) -> tuple[_Extras, list[tuple[str | None, _Extras]], str | None]:
    """(the channel's extras, each item's (GUID, extras) in order, a warning or None)."""
    if root is None:
        return _Extras(), [], "the Podcasting 2.0 tags could not be read; episodes without transcripts"
    channel = root.find("channel")
    container = channel if channel is not None else root
    items = [child for child in container if isinstance(child.tag, str) and _local(child.tag)[1] in ("item", "entry")]
    return _extras(container), [(_item_guid(item), _extras(item)) for item in items], None


def parse_feed(data: bytes, feed: str) -> Feed:
    """Read a feed's bytes (see the module doc); a FeedError names `feed` when it is not one."""
    try:
        root = _strict(data)
    except _Refused:
        raise FeedError(feed, "the feed declares XML entities (<!ENTITY>); refused, as such a feed can expand without bound") from None
    if root is None and re.search(rb"<\x00?!\x00?E\x00?N\x00?T\x00?I\x00?T\x00?Y", data, re.IGNORECASE):
        # not well-formed, perhaps before expat reached a declaration that feedparser's XML parser (after its
        # own re-decoding) would expand: refused, at the price of a malformed feed that only quotes the word
        raise FeedError(feed, "the feed declares XML entities (<!ENTITY>) and is not well-formed XML; refused")
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no <rss> or <feed> element"
        raise FeedError(feed, f"not an RSS or Atom feed: {reason}")
    if root is None:
        root = _lenient(data, parsed.get("encoding"))
    channel, items, warning = _namespace_pass(root)
    by_guid: dict[str, _Extras] = {}
    for guid_found, extras_found in items:
        if guid_found:
            by_guid.setdefault(guid_found, extras_found)  # a repeated GUID: its first item, as below
    warnings = [warning] if warning else []
    episodes: list[FeedEpisode] = []
    seen: set[str] = set()
    for position, entry in enumerate(parsed.entries):
        enclosure = next((e.get("href") for e in entry.get("enclosures", []) if e.get("href")), None)
        guid = _text(entry.get("id")) or _text(entry.get("link")) or _text(enclosure)
        if guid is None:
            warnings.append(f"item {position + 1} ({_text(entry.get('title')) or 'untitled'}) has no GUID, link or enclosure: skipped")
            continue
        if guid in seen:
            warnings.append(f"item {position + 1} repeats the GUID {guid[:80]!r} of an earlier item: skipped (the first is kept)")
            continue
        seen.add(guid)
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
        partial=warning is not None,
    )
