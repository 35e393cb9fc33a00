"""The corpus model: frozen pydantic records that parsers produce and queries return.

An Episode holds everything one show page carries: metadata, speakers, the
article around the transcript, the turns (each with its text in one or more
languages) and the launches it talks about. A turn's identity is its order in
the episode (`ordinal`), never its timestamp: timestamps repeat.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "ko"]
LANGUAGES: tuple[Language, ...] = ("en", "ko")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def format_timestamp(seconds: int) -> str:
    """`3723` -> `'01:02:03'`."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def turn_id(episode_id: str, ordinal: int) -> str:
    """The public id of a turn: `'<episode>:<ordinal>'`."""
    return f"{episode_id}:{ordinal}"


class Speaker(_Frozen):
    id: str = Field(description="Canonical speaker id, e.g. 'sherwin'.")
    name: str = Field(description="Display name in English.")
    names: dict[str, str] = Field(default_factory=dict, description="Display name per language.")
    role: str | None = None
    host: bool = False
    aliases: tuple[str, ...] = Field(default=(), description="Other names, in any language.")
    links: tuple[str, ...] = ()


class Turn(_Frozen):
    episode_id: str
    ordinal: int = Field(ge=0, description="0-based position in the episode; the turn's identity.")
    start_seconds: int = Field(ge=0)
    speaker: str = Field(description="Canonical speaker id.")
    text: dict[str, str] = Field(description="The turn's text per language code.")
    cut_off: tuple[str, ...] = Field(
        default=(), description="Languages whose text of this turn stops mid-sentence."
    )

    @property
    def id(self) -> str:
        return turn_id(self.episode_id, self.ordinal)

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.start_seconds)


class ArticleSection(_Frozen):
    heading: str | None = Field(description="Section heading, or None for the untitled intro.")
    text: str


class Mention(_Frozen):
    turn_id: str
    ordinal: int
    start_seconds: int
    timestamp: str
    speaker: str
    language: str


class Launch(_Frozen):
    id: str
    name: str
    kind: str = Field(description="model, docs, cookbook, product, feature, ...")
    category: str | None = None
    url: str | None = None
    note: str | None = None
    source: Literal["article", "transcript"]
    aliases: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = ()


class Chapter(_Frozen):
    """A chapter of an episode (Podcasting 2.0 `podcast:chapters`): from `start_seconds` to the next one."""

    title: str
    start_seconds: int = Field(ge=0)
    url: str | None = None


def chapter_at(chapters: tuple[Chapter, ...], start_seconds: int) -> Chapter | None:
    """The chapter a moment falls in: the last one starting at or before it (chapters are in order)."""
    found = None
    for chapter in chapters:
        if chapter.start_seconds > start_seconds:
            break
        found = chapter
    return found


class SourceFile(_Frozen):
    path: str = Field(description="Path relative to the corpus directory.")
    sha256: str
    format: str
    role: str


class Episode(_Frozen):
    id: str
    title: str
    titles: dict[str, str] = Field(default_factory=dict)
    show: str | None = None
    author: str | None = None
    url: str | None = None
    published: str | None = Field(default=None, description="When the episode was published: ISO date (YYYY-MM-DD) or date and time.")
    duration_seconds: int | None = None
    guid: str | None = Field(default=None, description="The feed's GUID of the episode, for episodes from a feed.")
    feed: str | None = Field(default=None, description="The feed the episode came from.")
    chapters: tuple[Chapter, ...] = ()
    language: str = "en"
    speakers: tuple[Speaker, ...] = ()
    turns: tuple[Turn, ...] = ()
    article: dict[str, tuple[ArticleSection, ...]] = Field(default_factory=dict)
    launches: tuple[Launch, ...] = ()
    sources: tuple[SourceFile, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {self.language: None}
        for turn in self.turns:
            for lang in turn.text:
                seen.setdefault(lang, None)
        return tuple(seen)

    def speaker(self, speaker_id: str) -> Speaker | None:
        return next((s for s in self.speakers if s.id == speaker_id), None)
