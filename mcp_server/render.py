"""Short Markdown for the text content of tool results (the structured content is the payload)."""

from __future__ import annotations

from corpus.catalog import EpisodeList, LaunchList, SpeakerList
from corpus.dates import published_day
from corpus.search_result import SearchResult
from corpus.snippets import shorten
from corpus.turns import Passage, SpeakerTurns

TEXT_BUDGET = 6000


def _more(cursor: str | None) -> str:
    return f"\n\nMore results: call again with cursor=\"{cursor}\"." if cursor else ""


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_BUDGET else text[: TEXT_BUDGET - 1] + "…"


def search(result: SearchResult) -> str:
    head = f"{len(result.hits)} of {result.total} turns for '{shorten(result.query, 80)}'"
    notes = [f"'{c.original}' → '{c.corrected}' ({c.reason})" for c in result.corrections]
    if notes:
        head += "; searched with " + ", ".join(notes)
    if result.notes:
        head += " (" + "; ".join(result.notes) + ")"
    if not result.hits:
        return head + ".\nNo turn matches. Try fewer or other words, another language, or no speaker filter."
    lines = [head + ":"]
    for number, hit in enumerate(result.hits, 1):
        how = ", by meaning" if hit.match == "meaning" else ""
        when = f", {published_day(hit.published)}" if hit.published else ""  # the day the date filters use
        chapter = f", chapter '{hit.chapter.title}'" if hit.chapter else ""
        lines.append(f"{number}. {hit.speaker_name} [{hit.timestamp}] ({hit.language}, {hit.turn_id}{when}{chapter}{how}): {hit.snippet}")
    return _clip("\n".join(lines)) + _more(result.next_cursor)


def speaker_turns(result: SpeakerTurns) -> str:
    speaker = result.speaker
    role = f", {speaker.role}" if speaker.role else ""
    lines = [f"{speaker.name}{role}: {len(result.turns)} of {result.total} turns"]
    for turn in result.turns:
        lines.append(f"- [{turn.timestamp}] ({turn.turn_id}) {shorten(turn.text, 240)}")
    return _clip("\n".join(lines)) + _more(result.next_cursor)


def passage(result: Passage) -> str:
    lines = []
    chapter = None
    for turn in result.turns:
        mark = " ←" if turn.turn_id == result.turn_id else ""
        if turn.chapter is not None and turn.chapter != chapter:  # a heading where a chapter starts
            lines.append(f"§ {turn.chapter.title} [{turn.chapter.timestamp}]")
        chapter = turn.chapter
        lines.append(f"**{turn.speaker}** [{turn.timestamp}]{mark}: {turn.text}")
        if turn.translation:
            lines.append(f"  ({'ko' if turn.language == 'en' else 'en'}) {shorten(turn.translation, 300)}")
    return _clip("\n\n".join(lines))


def launches(result: LaunchList) -> str:
    if not result.launches:
        return "No launch matches these filters. Call list_launches with no arguments to see them all."
    lines = [f"{result.total} launches:"]
    for launch in result.launches:
        extra = ", ".join(x for x in (launch.kind, launch.note, launch.url) if x)
        lines.append(f"- {launch.name} ({extra}); {len(launch.mentions)} mentions")
    return _clip("\n".join(lines)) + _more(result.next_cursor)


def speakers(result: SpeakerList) -> str:
    lines = [f"{result.total} speakers:"]
    for s in result.speakers:
        names = ", ".join(dict.fromkeys([*s.names.values(), *s.aliases]))
        lines.append(f"- {s.id}: {s.name}{', ' + s.role if s.role else ''} (also: {names})")
    return _clip("\n".join(lines))


def episodes(result: EpisodeList) -> str:
    lines = [f"{len(result.episodes)} of {result.total} episodes:"]
    for e in result.episodes:
        when = f", published {published_day(e.published)}" if e.published else ""
        lines.append(f"- {e.id}: {e.title} ({e.turns} turns, {', '.join(e.languages)}{when})")
    return _clip("\n".join(lines)) + _more(result.next_cursor)
