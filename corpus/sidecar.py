"""The per-episode metadata file (`episode.json`): what the transcripts do not say themselves."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corpus.dates import check_published
from corpus.errors import ParseError

SIDECAR_NAME = "episode.json"


def public_url(feed_key: str) -> str:
    """The feed's URL without userinfo, query or fragment (where private feeds keep their tokens): what
    the sidecar stores and clients see; the full URL stays in the corpus's feed list (feeds.json).
    A local feed's path is kept as it is."""
    if "://" not in feed_key:
        return feed_key
    parts = urlsplit(feed_key)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSpec(_Spec):
    path: str
    format: str | None = Field(default=None, description="Parser name; detected from the file when omitted.")
    role: str = Field(default="transcript", description="transcript, translation or page.")
    language: str | None = None


class SpeakerSpec(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str
    names: dict[str, str] = Field(default_factory=dict)
    role: str | None = None
    host: bool = False
    aliases: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


class LaunchSpec(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")
    name: str
    kind: str
    category: str | None = None
    url: str | None = None
    note: str | None = None
    source: str = "transcript"
    aliases: tuple[str, ...] = ()


class ChapterSpec(_Spec):
    title: str
    start_seconds: int = Field(ge=0)
    url: str | None = None


class EpisodeSpec(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    title: str | None = None
    show: str | None = None
    author: str | None = None
    url: str | None = None
    published: str | None = Field(default=None, description="ISO date, optionally with a time (YYYY-MM-DD[THH:MM:SSZ]).")
    duration_seconds: int | None = Field(default=None, ge=0)
    guid: str | None = Field(default=None, description="The episode's GUID in its feed (episodes from a feed).")
    feed: str | None = Field(
        default=None,
        description="The feed the episode came from (read without userinfo, query or fragment: a private feed's token is not served).",
    )
    chapters: tuple[ChapterSpec, ...] = ()
    language: str = "en"
    sources: tuple[SourceSpec, ...] = ()
    article_headings: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    guests_heading: str | None = None
    speakers: tuple[SpeakerSpec, ...] = ()
    launch_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    launch_categories: dict[str, str] = Field(default_factory=dict)
    launches: tuple[LaunchSpec, ...] = ()

    @field_validator("published")
    @classmethod
    def _valid_published(cls, value: str | None) -> str | None:
        return check_published(value)

    @field_validator("feed")
    @classmethod
    def _public_feed(cls, value: str | None) -> str | None:
        return public_url(value) if value else value


def read_sidecar(path: Path) -> EpisodeSpec:
    """Load and validate `episode.json`; a bad file is a ParseError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ParseError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ParseError(path, None, f"not UTF-8 text: {exc.reason}") from exc
    try:
        return EpisodeSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseError(path, None, f"{where}: {first['msg']}") from exc
