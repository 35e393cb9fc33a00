"""A read-only handle on a built index, with the small lookups every query needs.

One sqlite3 connection opened read-only (`mode=ro`), shared across the
server's worker threads behind a lock. Episode headers and speakers are
loaded once: they are small, and they are read on every call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from corpus.errors import IndexError_, UnknownEpisode, UnknownSpeaker
from corpus.model import Episode, Speaker
from corpus.speakers import label_variants

MAX_NAME_CHARS = 200  # longer ids and names match nothing: no fuzzy suggestions for them


class CorpusStore:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path
        try:
            self._conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True, check_same_thread=False)
            self._conn.execute("PRAGMA query_only = ON")
            self.fingerprint = str(self._conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()[0])
        except (sqlite3.DatabaseError, TypeError) as exc:
            raise IndexError_(f"cannot open the index {index_path}: {exc}; rebuild it with the 'ingest' command") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self.cursor() as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise IndexError_(f"the index {self.path} cannot answer ({exc}); rebuild it with the 'ingest' command") from exc

    # --- episodes -------------------------------------------------------
    @cached_property
    def episodes(self) -> dict[str, Episode]:
        """Episode headers (no turns, no launches) by id, in index order."""
        return {
            row[0]: Episode.model_validate(json.loads(row[1]))
            for row in self.rows("SELECT id, data FROM episodes ORDER BY pk")
        }

    @cached_property
    def episode_pks(self) -> dict[str, int]:
        return {row[0]: row[1] for row in self.rows("SELECT id, pk FROM episodes")}

    def episode(self, episode_id: str) -> Episode:
        found = self.episodes.get(episode_id)
        if found is None:
            if len(episode_id) > MAX_NAME_CHARS:
                raise UnknownEpisode(episode_id)
            suggestions = [m[0] for m in process.extract(episode_id, list(self.episodes), scorer=fuzz.WRatio, limit=3, score_cutoff=60)]
            raise UnknownEpisode(episode_id, suggestions)
        return found

    def turn_counts(self) -> dict[str, int]:
        rows = self.rows("SELECT e.id, COUNT(t.pk) FROM episodes e LEFT JOIN turns t ON t.episode_pk = e.pk GROUP BY e.pk")
        return {row[0]: row[1] for row in rows}

    def languages(self) -> dict[str, list[str]]:
        """Languages each episode has turn text in, the episode's own language first."""
        found: dict[str, list[str]] = {}
        rows = self.rows(
            "SELECT e.id, d.language, COUNT(*) FROM docs d JOIN turns t ON t.pk = d.turn_pk "
            "JOIN episodes e ON e.pk = t.episode_pk GROUP BY e.id, d.language ORDER BY e.id, COUNT(*) DESC"
        )
        for episode_id, language, _ in rows:
            found.setdefault(episode_id, []).append(language)
        return found

    # --- speakers -------------------------------------------------------
    @cached_property
    def speakers(self) -> dict[str, Speaker]:
        """Every speaker id across episodes; the first episode's record wins for display."""
        found: dict[str, Speaker] = {}
        for _, data in self.rows("SELECT id, data FROM speakers ORDER BY episode_pk"):
            speaker = Speaker.model_validate_json(data)
            found.setdefault(speaker.id, speaker)
        return found

    @cached_property
    def _speaker_aliases(self) -> dict[str, str]:
        aliases: dict[str, str] = {}
        for speaker in self.speakers.values():
            for alias in (speaker.id, speaker.name, *speaker.names.values(), *speaker.aliases):
                aliases.setdefault(alias.casefold(), speaker.id)
        return aliases

    def resolve_speaker(self, name: str) -> Speaker:
        """Match on id, names and aliases in any language, case-insensitively."""
        cleaned = " ".join(name.split())
        if len(cleaned) > MAX_NAME_CHARS:
            raise UnknownSpeaker(cleaned)
        for variant in label_variants(cleaned):
            found = self._speaker_aliases.get(variant.casefold())
            if found is not None:
                return self.speakers[found]
        matches = process.extract(cleaned.casefold(), list(self._speaker_aliases), scorer=fuzz.WRatio, limit=6, score_cutoff=50)
        suggestions = list(dict.fromkeys(self._speaker_aliases[m[0]] for m in matches))[:3]
        raise UnknownSpeaker(cleaned[:80], suggestions)

    # --- search support ---------------------------------------------------
    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Latin surface words and their document frequency."""
        return {word: df for word, df in self.rows("SELECT word, df FROM vocab")}

    @cached_property
    def lexicon(self) -> dict[str, list[str]]:
        """Korean word or phrase -> English counterparts (glosses and catalog aliases)."""
        found: dict[str, list[str]] = {}
        for ko, en in self.rows("SELECT DISTINCT ko, en FROM lexicon ORDER BY source DESC, ko"):
            found.setdefault(ko, []).append(en)
        return found
