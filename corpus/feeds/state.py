"""What a corpus remembers of its feeds: `feeds.json` at the corpus's root.

Per feed (keyed by its URL as given, tokens and all: only this file holds it whole,
or a local feed file's absolute path): the slug its episode ids start with, its
title, the ETag and Last-Modified of the last complete run (a run with `--limit` or
`--since`, or where an episode, its chapters or a translation failed, keeps none, so
the next run fetches the whole feed again and retries it), and every GUID already
ingested with its episode id and the transcript URL it was made from. Written
atomically (temp file, then rename), under an exclusive lock (`flock` on the corpus
folder, held by `feed_lock` for a whole feed's ingest, so that two runs at once take turns), and
merged: `save_record` re-reads the file and replaces only its own feed's record.
The file is outside every episode folder: the index never reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corpus.errors import CorpusError

STATE_NAME = "feeds.json"


class IngestedEpisode(BaseModel):
    model_config = ConfigDict(extra="ignore")
    episode_id: str
    transcript: str = Field(
        description="The URL of the transcript of the episode's own language it was made from (the one "
        "actually used: a fallback's when the first candidate failed)."
    )
    chapters: str | None = Field(default=None, description="The URL of its chapters, when it has them (None when they failed: retried).")
    retry: bool = Field(default=False, description="A translation or a better transcript failed: the next run fetches the episode again.")


class FeedRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    slug: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked_at: str | None = None
    episodes: dict[str, IngestedEpisode] = Field(default_factory=dict)
    """By GUID."""


class FeedState(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: int = 1
    feeds: dict[str, FeedRecord] = Field(default_factory=dict)

    def used_slugs(self, other_than: str) -> set[str]:
        return {record.slug for key, record in self.feeds.items() if key != other_than}


def load_state(corpus_dir: Path) -> FeedState:
    path = corpus_dir / STATE_NAME
    if not path.is_file():
        return FeedState()
    try:
        return FeedState.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise CorpusError(f"{path}: cannot read the corpus's feed list ({exc}); fix or remove it (episodes are kept)") from exc


@contextmanager
def feed_lock(corpus_dir: Path) -> Iterator[None]:
    """Hold the corpus's feed lock: an exclusive `flock` on the corpus folder itself (no lock file to
    leave behind); waits for another run to finish. Where there is no `fcntl` (Windows), none is taken."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    handle = os.open(corpus_dir, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def save_record(corpus_dir: Path, key: str, record: FeedRecord) -> None:
    """Save one feed's record: the file is read again and only that feed's entry replaced, so that what
    another run saved of other feeds is kept."""
    state = load_state(corpus_dir)
    state.feeds[key] = record
    save_state(corpus_dir, state)


def save_state(corpus_dir: Path, state: FeedState) -> None:
    path = corpus_dir / STATE_NAME
    temp = path.with_name(f".{STATE_NAME}.{os.getpid()}.tmp")
    temp.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)
