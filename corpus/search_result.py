"""What search_transcript returns: the result models, apart from the search code.

Importing them (to publish a tool's output schema, say) loads pydantic only, not the
query code and its libraries.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from corpus.model import Episode, chapter_at, format_timestamp

SearchLanguage = Literal["any", "en", "ko"]
SearchMode = Literal["auto", "words", "meaning"]
Matched = Literal["words", "meaning", "both"]
Ran = Literal["hybrid", "words", "meaning"]


class Correction(BaseModel):
    original: str
    corrected: str
    reason: Literal["typo", "translation", "transliteration", "compound"]


class ChapterRef(BaseModel):
    """The chapter a turn falls in (episodes whose feed publishes chapters)."""

    title: str
    start_seconds: int
    timestamp: str = Field(description="HH:MM:SS of the chapter's start.")


def chapter_ref(episode: Episode, start_seconds: int) -> ChapterRef | None:
    """The chapter of `episode` a moment falls in, for a hit or a turn."""
    chapter = chapter_at(episode.chapters, start_seconds)
    if chapter is None:
        return None
    return ChapterRef(title=chapter.title, start_seconds=chapter.start_seconds, timestamp=format_timestamp(chapter.start_seconds))


class SearchHit(BaseModel):
    turn_id: str
    episode_id: str
    ordinal: int
    speaker: str = Field(description="Canonical speaker id.")
    speaker_name: str
    start_seconds: int
    timestamp: str = Field(description="HH:MM:SS")
    language: str = Field(description="Language of the matched text (and of the snippet).")
    snippet: str = Field(description="At most ~300 characters around the match; matches in **bold**.")
    translation: str | None = Field(description="The same turn in the other language, shortened; null if untranslated.")
    uri: str = Field(description="Resource URI of the turn.")
    url: str = Field(description="Link to the episode at this time.")
    published: str | None = Field(default=None, description="When the episode was published (ISO date); null if undated.")
    chapter: ChapterRef | None = Field(default=None, description="The chapter the turn falls in; null when the episode has none.")
    match: Matched = Field(
        default="words",
        description="How the turn was found: 'words' (it says the query's words), 'meaning' (what it says is close "
        "to the query's meaning) or 'both'.",
    )


class SearchResult(BaseModel):
    query: str
    searched: list[str] = Field(description="What was searched after corrections and bridging.")
    corrections: list[Correction] = Field(default_factory=list)
    hits: list[SearchHit]
    total: int = Field(
        description="Exact number of matching turns: those that say the query's words, plus the closest turns by meaning "
        "that do not (at most 20) when search by meaning ran."
    )
    next_cursor: str | None = Field(description="Pass as cursor to get the next page; null on the last page.")
    mode: Ran = Field(
        default="words", description="What ran: words and meaning fused ('hybrid'), words only, or meaning only."
    )
    notes: list[str] = Field(default_factory=list, description="Why search by meaning did not run, when it did not.")
