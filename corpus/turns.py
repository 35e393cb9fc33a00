"""Reading turns: one speaker's turns, and a passage around one turn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from corpus.cursor import decode_cursor, next_cursor, query_key
from corpus.errors import InvalidQuery, UnknownTurn
from corpus.model import Turn, format_timestamp
from corpus.search_result import ChapterRef, chapter_ref
from corpus.times import parse_time
from corpus.uris import episode_url, turn_uri

if TYPE_CHECKING:
    from corpus.store import CorpusStore

TurnLanguage = Literal["en", "ko"]
MAX_TURNS = 100
MAX_CONTEXT = 10


class SpeakerInfo(BaseModel):
    id: str
    name: str
    role: str | None
    aliases: list[str]


class TurnText(BaseModel):
    turn_id: str
    episode_id: str
    ordinal: int
    speaker: str
    start_seconds: int
    timestamp: str
    language: str = Field(description="Language of `text`.")
    text: str
    translation: str | None = Field(description="The other language's text, or null if untranslated.")
    cut_off: bool = Field(description="True when this turn's translation stops mid-sentence.")
    uri: str
    url: str
    published: str | None = Field(default=None, description="When the episode was published (ISO date); null if undated.")
    chapter: ChapterRef | None = Field(default=None, description="The chapter the turn falls in; null when the episode has none.")


class SpeakerTurns(BaseModel):
    speaker: SpeakerInfo
    turns: list[TurnText]
    total: int
    next_cursor: str | None


class Passage(BaseModel):
    turn_id: str = Field(description="The turn asked for.")
    episode_id: str
    turns: list[TurnText] = Field(description="The turn with its context, in order.")


def turn_text(store: CorpusStore, turn: Turn, language: str) -> TurnText:
    episode = store.episodes[turn.episode_id]
    primary = episode.language
    shown = language if language in turn.text else primary
    other = next((lang for lang in turn.text if lang != shown), None)
    return TurnText(
        turn_id=turn.id,
        episode_id=turn.episode_id,
        ordinal=turn.ordinal,
        speaker=turn.speaker,
        start_seconds=turn.start_seconds,
        timestamp=turn.timestamp,
        language=shown,
        text=turn.text[shown],
        translation=turn.text[other] if other else None,
        cut_off=bool(turn.cut_off),
        uri=turn_uri(turn.episode_id, turn.ordinal),
        url=episode_url(episode, turn.start_seconds),
        published=episode.published,
        chapter=chapter_ref(episode, turn.start_seconds),
    )


def speaker_turns(
    store: CorpusStore,
    speaker: str,
    *,
    episode: str | None = None,
    language: TurnLanguage = "en",
    start: str | int | None = None,
    end: str | int | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> SpeakerTurns:
    if not 1 <= limit <= MAX_TURNS:
        raise InvalidQuery(f"limit must be between 1 and {MAX_TURNS}, not {limit}")
    if language not in ("en", "ko"):
        raise InvalidQuery(f"language must be 'en' or 'ko', not {language!r}")
    found = store.resolve_speaker(speaker)
    start_s, end_s = parse_time(start, "start"), parse_time(end, "end")
    if start_s is not None and end_s is not None and start_s > end_s:
        raise InvalidQuery(f"start ({format_timestamp(start_s)}) is after end ({format_timestamp(end_s)})")
    where, params = ["t.speaker = :speaker"], {"speaker": found.id, "limit": limit}
    if episode is not None:
        where.append("t.episode_pk = :episode")
        params["episode"] = store.episode_pks[store.episode(episode).id]
    if start_s is not None:
        where.append("t.start_seconds >= :start")
        params["start"] = start_s
    if end_s is not None:
        where.append("t.start_seconds <= :end")
        params["end"] = end_s
    key = query_key("speaker_turns", found.id, episode, language, start_s, end_s, store.fingerprint)
    params["offset"] = offset = decode_cursor(cursor, key)
    condition = " AND ".join(where)
    rows = store.rows(
        f"SELECT t.data FROM turns t WHERE {condition} ORDER BY t.episode_pk, t.ordinal LIMIT :limit OFFSET :offset",  # noqa: S608
        params,
    )
    total = store.rows(f"SELECT COUNT(*) FROM turns t WHERE {condition}", params)[0][0]  # noqa: S608
    turns = [turn_text(store, Turn.model_validate_json(row[0]), language) for row in rows]
    return SpeakerTurns(
        speaker=SpeakerInfo(id=found.id, name=found.name, role=found.role, aliases=list(found.aliases)),
        turns=turns,
        total=total,
        next_cursor=next_cursor(offset, len(rows), total, key),
    )


def split_turn_id(turn_id: str) -> tuple[str, int]:
    episode_id, sep, ordinal = str(turn_id).rpartition(":")
    if not sep or not (ordinal.isascii() and ordinal.isdigit()) or len(ordinal) > 9 or not episode_id:
        raise UnknownTurn(str(turn_id)[:120])
    return episode_id, int(ordinal)


def get_passage(store: CorpusStore, turn_id: str, *, before: int = 0, after: int = 0, language: TurnLanguage = "en") -> Passage:
    if not (0 <= before <= MAX_CONTEXT and 0 <= after <= MAX_CONTEXT):
        raise InvalidQuery(f"before and after must be between 0 and {MAX_CONTEXT}")
    episode_id, ordinal = split_turn_id(turn_id)
    if episode_id not in store.episodes:
        raise UnknownTurn(turn_id[:120], f"no episode '{episode_id[:80]}'")
    rows = store.rows(
        "SELECT t.data FROM turns t WHERE t.episode_pk = ? AND t.ordinal BETWEEN ? AND ? ORDER BY t.ordinal",
        (store.episode_pks[episode_id], ordinal - before, ordinal + after),
    )
    turns = [Turn.model_validate_json(row[0]) for row in rows]
    if not any(t.ordinal == ordinal for t in turns):
        raise UnknownTurn(turn_id[:120], f"episode '{episode_id}' has no turn {ordinal}")
    return Passage(turn_id=turn_id, episode_id=episode_id, turns=[turn_text(store, t, language) for t in turns])


def episode_turns(store: CorpusStore, episode_id: str) -> list[Turn]:
    """Every turn of one episode, in order. Raises UnknownEpisode for an unknown id."""
    episode = store.episode(episode_id)
    rows = store.rows("SELECT t.data FROM turns t WHERE t.episode_pk = ? ORDER BY t.ordinal", (store.episode_pks[episode.id],))
    return [Turn.model_validate_json(row[0]) for row in rows]
