"""What ranking takes and gives: the filters a matching turn must pass, and a ranked turn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TurnFilter:
    """What the turns must satisfy besides matching: all optional."""

    slot: int | None = None
    """The language slot of the matched document (corpus.index.schema)."""
    speaker: str | None = None
    start: int | None = None
    end: int | None = None
    episodes: tuple[int, ...] | None = None
    """The numbers of the episodes (in the index's episode order, as `TurnArrays.episode`) the turns
    may come from: the episodes a date filter keeps. None: any episode."""

    def accepts(self, speaker: str, start_seconds: int) -> bool:
        if self.speaker is not None and speaker != self.speaker:
            return False
        if self.start is not None and start_seconds < self.start:
            return False
        return self.end is None or start_seconds <= self.end


@dataclass(frozen=True)
class Ranked:
    score: float
    """Lower is better: minus the turn's relevance after re-ranking by exchanges."""
    turn_pk: int
    slot: int
    """The language slot of the turn's best matching document."""
