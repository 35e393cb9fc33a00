"""The resources: episodes, transcripts, articles, speakers, launches, one turn, one speaker's turns.

Static resources list what the corpus holds; templates address one episode, turn or
speaker. Long documents (a transcript, a speaker's turns) are cut into parts of at
most PART_BUDGET characters, each ending with the URI of the next part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from corpus import catalog, turns
from corpus.errors import CorpusError
from corpus.model import LANGUAGES, Episode, Turn
from corpus.transcript import episode_turns
from corpus.uris import SCHEME, episode_uri, turn_uri
from mcp_server.corpus_handle import CorpusHandle

if TYPE_CHECKING:
    from corpus.store import CorpusStore

PART_BUDGET = 18_000
JSON = "application/json"
MARKDOWN = "text/markdown"
T = TypeVar("T")

EPISODES_URI = f"{SCHEME}://episodes"
SPEAKERS_URI = f"{SCHEME}://speakers"
LAUNCHES_URI = f"{SCHEME}://launches"
EPISODE_TEMPLATE = f"{SCHEME}://episodes/{{episode_id}}"
TRANSCRIPT_TEMPLATE = f"{SCHEME}://episodes/{{episode_id}}/transcript/{{language}}{{?part}}"
ARTICLE_TEMPLATE = f"{SCHEME}://episodes/{{episode_id}}/article/{{language}}"
TURN_TEMPLATE = f"{SCHEME}://episodes/{{episode_id}}/turns/{{ordinal}}"
SPEAKER_TURNS_TEMPLATE = f"{SCHEME}://speakers/{{speaker}}/turns/{{language}}{{?part}}"
TEMPLATES = (EPISODE_TEMPLATE, TRANSCRIPT_TEMPLATE, ARTICLE_TEMPLATE, TURN_TEMPLATE, SPEAKER_TURNS_TEMPLATE)


def transcript_uri(episode_id: str, language: str, part: int = 1) -> str:
    base = f"{episode_uri(episode_id)}/transcript/{language}"
    return base if part == 1 else f"{base}?part={part}"


def article_uri(episode_id: str, language: str) -> str:
    return f"{episode_uri(episode_id)}/article/{language}"


def speaker_turns_uri(speaker_id: str, language: str, part: int = 1) -> str:
    base = f"{SCHEME}://speakers/{speaker_id}/turns/{language}"
    return base if part == 1 else f"{base}?part={part}"


def _found(fn: Callable[[], T], uri: str) -> T:
    """Run a corpus query; an unknown id (or any argument the corpus refuses) is ResourceNotFoundError (-32602)."""
    try:
        return fn()
    except CorpusError as exc:
        raise ResourceNotFoundError(f"{uri}: {exc}") from exc


def _language(language: str, uri: str) -> str:
    if language not in LANGUAGES:
        raise ResourceNotFoundError(f"{uri}: unknown language '{language[:20]}'; use one of {', '.join(LANGUAGES)}")
    return language


def _part(part: str | None, uri: str) -> int:
    if part is None or part == "":
        return 1
    if not part.isdigit() or int(part) < 1:
        raise ResourceNotFoundError(f"{uri}: part must be a positive number, not '{part[:20]}'")
    return int(part)


def split_parts(blocks: Iterable[str], budget: int = PART_BUDGET) -> list[str]:
    """Group Markdown blocks into parts of at most `budget` characters (a block longer than that is cut)."""
    parts: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        block = block if len(block) <= budget else block[: budget - 1] + "…"
        if parts[-1] and size + len(block) + 2 > budget:
            parts.append([])
            size = 0
        parts[-1].append(block)
        size += len(block) + 2
    return ["\n\n".join(p) for p in parts]


def _paged(header: str, blocks: list[str], part: int, uri_of: Callable[[int], str], uri: str) -> str:
    """Part `part` of the blocks under the header: with its header and the link to the next part, at
    most PART_BUDGET characters."""
    framing = len(f"{header} (part 9999 of 9999)\n\n") + len(f"\n\n_Continued in {uri_of(9999)}_")
    parts = split_parts(blocks, PART_BUDGET - framing)
    if part > len(parts):
        raise ResourceNotFoundError(f"{uri}: there are only {len(parts)} parts")
    text = f"{header} (part {part} of {len(parts)})\n\n{parts[part - 1]}" if len(parts) > 1 else f"{header}\n\n{parts[0]}"
    if part < len(parts):
        text += f"\n\n_Continued in {uri_of(part + 1)}_"
    return text


def _speaker_name(store: CorpusStore, episode: Episode, speaker_id: str, language: str) -> str:
    speaker = episode.speaker(speaker_id) or store.speakers.get(speaker_id)
    if speaker is None:
        return speaker_id
    return speaker.names.get(language, speaker.name)


def turn_block(store: CorpusStore, episode: Episode, turn: Turn, language: str) -> str:
    """One turn as Markdown: speaker, timestamp, text; an untranslated turn is marked and shows the original."""
    name = _speaker_name(store, episode, turn.speaker, language)
    head = f"**{name}** [{turn.timestamp}] `{turn.id}`"
    if language in turn.text:
        cut = " _(translation cut off)_" if language in turn.cut_off and language != episode.language else ""
        return f"{head}{cut}\n{turn.text[language]}"
    original = episode.language if episode.language in turn.text else next(iter(turn.text))
    label = "번역 없음, 원문" if language == "ko" else "untranslated, original"
    return f"{head} _({label}: {original})_\n{turn.text[original]}"


def episode_metadata(store: CorpusStore, episode_id: str) -> dict[str, object]:
    episode = store.episode(episode_id)
    languages = store.languages([episode.id]).get(episode.id, [episode.language])
    launches = catalog.matching_launches(store, episode=episode.id)
    return {
        "id": episode.id,
        "title": episode.title,
        "titles": episode.titles,
        "show": episode.show,
        "author": episode.author,
        "url": episode.url,
        "published": episode.published,
        "duration_seconds": episode.duration_seconds,
        "guid": episode.guid,
        "feed": episode.feed,
        "chapters": [c.model_dump(mode="json") for c in episode.chapters],
        "language": episode.language,
        "languages": languages,
        "turns": store.turn_counts([episode.id]).get(episode.id, 0),
        "speakers": [s.model_dump(mode="json") for s in episode.speakers],
        "launches": [{"id": x.id, "name": x.name, "kind": x.kind, "url": x.url} for x in launches],
        "sources": [s.model_dump(mode="json") for s in episode.sources],
        "resources": {
            "transcript": {lang: transcript_uri(episode.id, lang) for lang in languages},
            "article": {lang: article_uri(episode.id, lang) for lang in episode.article},
        },
    }


def transcript_markdown(store: CorpusStore, episode_id: str, language: str, part: int, uri: str) -> str:
    episode = store.episode(episode_id)
    title = episode.titles.get(language, episode.title)
    header = f"# {title}\n\nTranscript ({language}) of `{episode.id}`"
    if episode.url:
        header += f", {episode.url}"
    blocks = [turn_block(store, episode, t, language) for t in episode_turns(store, episode.id)]
    return _paged(header, blocks, part, lambda n: transcript_uri(episode.id, language, n), uri)


def article_markdown(store: CorpusStore, episode_id: str, language: str, uri: str) -> str:
    episode = store.episode(episode_id)
    sections = episode.article.get(language)
    if not sections:
        have = ", ".join(episode.article) or "none"
        raise ResourceNotFoundError(f"{uri}: episode '{episode.id}' has no article in '{language}' (languages: {have})")
    blocks = [f"# {episode.titles.get(language, episode.title)}"]
    for section in sections:
        blocks.append(f"## {section.heading}\n\n{section.text}" if section.heading else section.text)
    text = "\n\n".join(blocks)
    return text if len(text) <= PART_BUDGET else text[: PART_BUDGET - 40] + "…\n\n_(article cut at 18,000 characters)_"


def turn_markdown(store: CorpusStore, episode_id: str, ordinal: str, uri: str) -> str:
    if not ordinal.isdigit():
        raise ResourceNotFoundError(f"{uri}: the turn number must be a non-negative integer")
    passage = turns.get_passage(store, f"{episode_id}:{int(ordinal)}", language="en")
    episode = store.episode(passage.episode_id)
    turn = next(t for t in passage.turns if t.turn_id == passage.turn_id)
    lines = [
        f"**{_speaker_name(store, episode, turn.speaker, 'en')}** [{turn.timestamp}] `{turn.turn_id}` in {episode.title}",
        f"{turn.url}",
        "",
        f"({turn.language}) {turn.text}",
    ]
    if turn.translation:
        other = "ko" if turn.language == "en" else "en"
        cut = " _(translation cut off)_" if turn.cut_off else ""
        lines += ["", f"({other}){cut} {turn.translation}"]
    else:
        lines += ["", "_(not translated)_"]
    return "\n".join(lines)


def speaker_turns_markdown(store: CorpusStore, speaker: str, language: str, part: int, uri: str) -> str:
    found = store.resolve_speaker(speaker)
    lang: turns.TurnLanguage = "ko" if language == "ko" else "en"
    collected: list[turns.TurnText] = []
    cursor: str | None = None
    while True:
        page = turns.speaker_turns(store, found.id, language=lang, limit=turns.MAX_TURNS, cursor=cursor)
        collected += page.turns
        cursor = page.next_cursor
        if cursor is None:
            break
    role = f", {found.role}" if found.role else ""
    header = f"# {found.names.get(language, found.name)}{role}\n\n{len(collected)} turns ({language})"
    blocks = []
    for t in collected:
        mark = "" if t.language == language else f" _({'번역 없음, 원문' if language == 'ko' else 'original'}: {t.language})_"
        blocks.append(f"[{t.timestamp}] `{t.turn_id}`{mark}\n{t.text}")
    return _paged(header, blocks, part, lambda n: speaker_turns_uri(found.id, language, n), uri)


def register_resources(mcp: MCPServer, corpus: CorpusHandle) -> None:
    @mcp.resource(EPISODES_URI, name="episodes", title="Episodes", mime_type=JSON)
    def episodes() -> str:
        """The first 100 episodes, newest first as list_episodes lists them by default (it pages through
        all), and the total: id, titles, languages, turn count, and the URIs of each one's transcript and article."""
        listing = catalog.list_episodes(corpus.store, limit=catalog.MAX_PAGE, sort="newest")
        items = []
        for e in listing.episodes:
            item = e.model_dump(mode="json")
            item["uri"] = episode_uri(e.id)
            item["transcripts"] = {lang: transcript_uri(e.id, lang) for lang in e.languages}
            items.append(item)
        return json.dumps({"episodes": items, "total": listing.total}, ensure_ascii=False)

    @mcp.resource(SPEAKERS_URI, name="speakers", title="Speakers", mime_type=JSON)
    def speakers() -> str:
        """Every speaker: id, names in English and Korean, role, aliases, and the URI of their turns."""
        listing = catalog.list_speakers(corpus.store)
        items = []
        for s in listing.speakers:
            item = s.model_dump(mode="json")
            item["turns"] = {lang: speaker_turns_uri(s.id, lang) for lang in LANGUAGES}
            items.append(item)
        return json.dumps({"speakers": items, "total": listing.total}, ensure_ascii=False)

    @mcp.resource(LAUNCHES_URI, name="launches", title="Product launches", mime_type=JSON)
    def launches() -> str:
        """Every launch the episodes discuss: kind, link, note, aliases and the turns that mention it."""
        return catalog.list_launches(corpus.store).model_dump_json()

    @mcp.resource(EPISODE_TEMPLATE, name="episode", title="Episode metadata", mime_type=JSON)
    def episode(episode_id: str) -> str:
        """One episode's metadata: titles, show, link, speakers, launches, sources and its resource URIs."""
        uri = episode_uri(episode_id)
        return json.dumps(_found(lambda: episode_metadata(corpus.store, episode_id), uri), ensure_ascii=False)

    @mcp.resource(TRANSCRIPT_TEMPLATE, name="transcript", title="Episode transcript", mime_type=MARKDOWN)
    def transcript(episode_id: str, language: str, part: str | None = None) -> str:
        """An episode's transcript in 'en' or 'ko' as Markdown: speaker, timestamp and turn id per turn.

        In Korean, turns without a translation are marked and show the English original.
        Long transcripts come in parts; each part names the URI of the next.
        """
        uri = transcript_uri(episode_id, language)
        lang, number = _language(language, uri), _part(part, uri)
        return _found(lambda: transcript_markdown(corpus.store, episode_id, lang, number, uri), uri)

    @mcp.resource(ARTICLE_TEMPLATE, name="article", title="Episode article", mime_type=MARKDOWN)
    def article(episode_id: str, language: str) -> str:
        """The article published with an episode (show notes, launches, guests) in 'en' or 'ko', as Markdown."""
        uri = article_uri(episode_id, language)
        lang = _language(language, uri)
        return _found(lambda: article_markdown(corpus.store, episode_id, lang, uri), uri)

    @mcp.resource(TURN_TEMPLATE, name="turn", title="One turn", mime_type=MARKDOWN)
    def turn(episode_id: str, ordinal: str) -> str:
        """One turn (turn id 'EPISODE:ORDINAL') with its speaker, time, link and both languages."""
        uri = turn_uri(episode_id, int(ordinal)) if ordinal.isdigit() else f"{episode_uri(episode_id)}/turns/{ordinal[:20]}"
        return _found(lambda: turn_markdown(corpus.store, episode_id, ordinal, uri), uri)

    @mcp.resource(SPEAKER_TURNS_TEMPLATE, name="speaker_turns", title="One speaker's turns", mime_type=MARKDOWN)
    def speaker_turns(speaker: str, language: str, part: str | None = None) -> str:
        """Everything one speaker said, in order, in 'en' or 'ko'; the speaker by id or name in either language."""
        uri = speaker_turns_uri(speaker, language)
        lang, number = _language(language, uri), _part(part, uri)
        return _found(lambda: speaker_turns_markdown(corpus.store, speaker, lang, number, uri), uri)

