"""The corpus library's exceptions, in one small tree.

    CorpusError                  anything the corpus library refuses
    ├── ParseError               a corpus file could not be read (names file and line)
    ├── IndexError_              the index file is missing, stale or corrupt
    ├── UnknownEpisode           no episode with that id (carries suggestions)
    ├── UnknownSpeaker           no speaker by that name (carries suggestions)
    ├── UnknownTurn              no turn with that id
    ├── InvalidQuery             an argument that cannot be answered (bad cursor, time range, ...)
    └── FeedError                a feed, or one episode of it, could not be ingested (names feed, GUID, URL)

Every message is written for the person (or model) who made the call: it says
what was wrong and how to make a call that works.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class CorpusError(Exception):
    """Base class of every error the corpus library raises on purpose."""


class ParseError(CorpusError):
    """A corpus file is malformed. `path` and `line` (1-based, or None) say where."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class IndexError_(CorpusError):  # noqa: N801 - trailing underscore avoids the builtin
    """The index cannot be opened or is not the one the corpus needs."""


def _clip(value: str, limit: int = 120) -> str:
    """An argument echoed in a message: long ones are cut, so a 1 MB id gives a short error."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    quoted = ", ".join(f"'{s}'" for s in suggestions)
    return f"; did you mean {quoted}?"


class UnknownEpisode(CorpusError):
    def __init__(self, episode: str, suggestions: Sequence[str] = ()) -> None:
        self.episode = episode
        self.suggestions = tuple(suggestions)
        hint = _did_you_mean(self.suggestions) or "; call list_episodes to see the ids"
        super().__init__(f"unknown episode '{_clip(episode)}'{hint}")


class UnknownSpeaker(CorpusError):
    def __init__(self, speaker: str, suggestions: Sequence[str] = ()) -> None:
        self.speaker = speaker
        self.suggestions = tuple(suggestions)
        hint = _did_you_mean(self.suggestions) or "; call list_speakers to see who speaks"
        super().__init__(f"unknown speaker '{_clip(speaker)}'{hint}")


class UnknownTurn(CorpusError):
    def __init__(self, turn_id: str, detail: str = "") -> None:
        self.turn_id = turn_id
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"unknown turn '{_clip(turn_id)}'{extra}; turn ids look like 'EPISODE:ORDINAL' "
            "as returned in the turn_id field of search_transcript hits"
        )


class InvalidQuery(CorpusError):
    """An argument that parses but cannot be answered; the message says how to fix it."""


class FeedError(CorpusError):
    """A podcast feed, or one of its episodes, could not be fetched or read: names the feed, the
    episode's GUID (None for the feed itself) and the URL that failed."""

    def __init__(self, feed: str, message: str, *, guid: str | None = None, url: str | None = None) -> None:
        self.feed = feed
        self.guid = guid
        self.url = url
        self.reason = message
        parts = [f"feed {_clip(feed, 200)}"]
        if guid is not None:
            parts.append(f"episode {_clip(guid, 200)}")
        if url is not None and url != feed:
            parts.append(_clip(url, 300))
        super().__init__(f"{': '.join(parts)}: {message}")
