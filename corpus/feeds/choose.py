"""Which of an episode's `podcast:transcript`s to take. Pure.

Formats, best first: Podcasting 2.0 JSON (timed, speakers per segment), WebVTT
(timed, speakers as `<v Name>`), SRT (timed, speakers as a `Name:` prefix), HTML
and plain text (speakers at most, no times). A link marked `rel="captions"` comes
after the other links of its format (captions seldom name speakers). The episode's
transcript is in the feed's language when it has one (a link without a language is
taken to be in the feed's language); one transcript per other language is kept as a
translation, aligned to it turn by turn when the episode is assembled. Each
language keeps its candidates in order: when the first cannot be fetched or read,
the next is tried, and so it is when the first names no speakers (run.py: captions without
voices give way to a later format that names them; failing one, the first that worked is kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.feeds.feed import TranscriptLink

TYPE_FORMATS = {
    "application/json": "podcast20-json",
    "text/vtt": "webvtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
    "text/x-subrip": "srt",
    "text/html": "html",
    "text/plain": "plain-text",
}
SUFFIX_FORMATS = {".json": "podcast20-json", ".vtt": "webvtt", ".srt": "srt", ".html": "html", ".htm": "html", ".txt": "plain-text"}
RANK = ("podcast20-json", "webvtt", "srt", "html", "plain-text")
EXTENSIONS = {"podcast20-json": ".json", "webvtt": ".vtt", "srt": ".srt", "html": ".html", "plain-text": ".txt"}


@dataclass(frozen=True)
class Candidate:
    link: TranscriptLink
    format: str
    language: str


def format_of(link: TranscriptLink) -> str | None:
    """The parser for a link: by its type, else by its URL's extension; None when neither says."""
    if link.type in TYPE_FORMATS:
        return TYPE_FORMATS[link.type]
    path = link.url.split("?", 1)[0].split("#", 1)[0].lower()
    return next((name for suffix, name in SUFFIX_FORMATS.items() if path.endswith(suffix)), None)


def candidates(links: tuple[TranscriptLink, ...], feed_language: str | None) -> dict[str, list[Candidate]]:
    """Per language, the usable links best first; the episode's own language first in the dict."""
    default = feed_language or "en"
    found: list[tuple[int, int, int, Candidate]] = []
    for position, link in enumerate(links):
        name = format_of(link)
        if name is None:
            continue
        language = link.language or default
        found.append((RANK.index(name), 1 if (link.rel or "").lower() == "captions" else 0, position, Candidate(link, name, language)))
    found.sort(key=lambda item: item[:3])
    by_language: dict[str, list[Candidate]] = {}
    for *_, candidate in found:
        by_language.setdefault(candidate.language, []).append(candidate)
    if not by_language:
        return {}
    primary = default if default in by_language else next(iter(by_language))
    return {primary: by_language[primary], **{lang: cands for lang, cands in by_language.items() if lang != primary}}
