"""Reading a whole episode's turns, in order (for transcripts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.model import Turn

if TYPE_CHECKING:
    from corpus.store import CorpusStore


def episode_turns(store: CorpusStore, episode_id: str) -> list[Turn]:
    """Every turn of one episode, in order. Raises UnknownEpisode for an unknown id."""
    episode = store.episode(episode_id)
    rows = store.rows("SELECT t.data FROM turns t WHERE t.episode_pk = ? ORDER BY t.ordinal", (store.episode_pks[episode.id],))
    return [Turn.model_validate_json(row[0]) for row in rows]
