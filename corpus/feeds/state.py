"""What a corpus remembers of its feeds: `feeds.json` at the corpus's root.

Per feed (keyed by its URL, or a local feed file's absolute path): the slug its
episode ids start with, its title, the ETag and Last-Modified of the last complete
run (a run where an episode failed keeps none, so the next run fetches the feed
again and retries it), and every GUID already ingested with its episode id and the
transcript URL it came from. Written atomically (temp file, then rename).
The file is outside every episode folder: the index never reads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corpus.errors import CorpusError

STATE_NAME = "feeds.json"


class IngestedEpisode(BaseModel):
    model_config = ConfigDict(extra="ignore")
    episode_id: str
    transcript: str = Field(description="The URL of the transcript the episode was made from.")
    chapters: str | None = Field(default=None, description="The URL of its chapters, when it has them.")


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


def save_state(corpus_dir: Path, state: FeedState) -> None:
    path = corpus_dir / STATE_NAME
    temp = path.with_name(f".{STATE_NAME}.{os.getpid()}.tmp")
    temp.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)
