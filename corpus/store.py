"""A read-only handle on a built index, with the small lookups every query needs.

One sqlite3 connection opened read-only (`mode=ro`), shared across the
server's worker threads behind a lock. Speakers are loaded once (they are
few); episode headers are held as JSON and parsed on use (`EpisodeHeaders`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from corpus.bm25 import averages
from corpus.errors import IndexError_, UnknownEpisode, UnknownSpeaker
from corpus.index.schema import SLOTS
from corpus.model import Episode, Speaker, Turn
from corpus.recent import Recent
from corpus.speakers import label_variants

if TYPE_CHECKING:  # numpy is imported when the index is first searched
    import numpy as np
    import numpy.typing as npt

    from corpus.postings_ranking import TurnArrays
    from corpus.semantic.vectors import VectorTable

MAX_NAME_CHARS = 200  # longer ids and names match nothing: no fuzzy suggestions for them
EPISODE_CACHE = 256  # parsed episode headers kept (a page of hits names a few)
VECTOR_BATCH = 8192  # vectors read at a time when they are loaded
TURN_CACHE = 2048  # parsed turns kept: the hits of recent searches, which the next ones often share


class EpisodeHeaders(Mapping[str, Episode]):
    """Episode headers by id, in index order, each parsed when asked for and the last EPISODE_CACHE
    kept: 10,000 episodes hold their JSON (about 1 KB each), not 10,000 models (about 12 KB each).
    Read the models, never change them: the same objects go to every caller."""

    def __init__(self, rows: Sequence[tuple[str, str]]) -> None:
        self._json = dict(rows)
        self._parsed: Recent[str, Episode] = Recent(EPISODE_CACHE)

    def __getitem__(self, episode_id: str) -> Episode:
        found = self._parsed.get(episode_id)
        if found is None:
            found = Episode.model_validate_json(self._json[episode_id])
            self._parsed.put(episode_id, found)
        return found

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._json

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)


class CorpusStore:
    def __init__(self, index_path: Path) -> None:
        self.path = index_path
        try:
            self._conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True, check_same_thread=False)
            self._conn.execute("PRAGMA query_only = ON")
            self._conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages: the hot part of a large index
            self.fingerprint = str(self._conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()[0])
        except (sqlite3.DatabaseError, TypeError) as exc:
            raise IndexError_(f"cannot open the index {index_path}: {exc}; rebuild it with the 'ingest' command") from exc
        self._lock = threading.Lock()
        self._turns: Recent[int, Turn] = Recent(TURN_CACHE)
        self._slot_turns: Recent[int, npt.NDArray[np.bool_]] = Recent(8)

    def close(self) -> None:
        with self._lock:  # not under a query another thread is running
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

    # --- turns ----------------------------------------------------------
    def turns(self, pks: Sequence[int]) -> dict[int, Turn]:
        """The turns with these pks (those that exist), parsed once and kept: the last TURN_CACHE used.

        The same Turn objects go to every caller, in any thread: read them, never change them
        (the models are frozen, but a turn's `text` is a plain dict)."""
        found = {pk: turn for pk in pks if (turn := self._turns.get(pk)) is not None}
        missing = [pk for pk in pks if pk not in found]
        if missing:
            rows = self.rows("SELECT pk, data FROM turns WHERE pk IN (SELECT value FROM json_each(?))", (json.dumps(missing),))
            for pk, data in rows:
                found[pk] = Turn.model_validate_json(data)
                self._turns.put(pk, found[pk])
        return found

    # --- episodes -------------------------------------------------------
    @cached_property
    def episodes(self) -> EpisodeHeaders:
        """Episode headers (no turns, no launches) by id, in index order."""
        return EpisodeHeaders(self.rows("SELECT id, data FROM episodes ORDER BY pk"))

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

    @cached_property
    def published(self) -> list[tuple[str, str | None]]:
        """(id, YYYY-MM-DD or None) of every episode, in index order (the order `TurnArrays.episode` numbers them)."""
        return [(row[0], row[1]) for row in self.rows("SELECT id, published FROM episodes ORDER BY pk")]

    @cached_property
    def titles(self) -> dict[str, str]:
        """Every episode's title by id, read from the index without parsing the headers."""
        return {row[0]: row[1] for row in self.rows("SELECT id, json_extract(data, '$.title') FROM episodes")}

    def episode_numbers(self, after: str | None, before: str | None) -> tuple[int, ...] | None:
        """The numbers (index order) of the episodes published between two dates, inclusive; None
        without a date filter. Undated episodes are left out of any date filter."""
        if after is None and before is None:
            return None
        import numpy as np

        days = self._published_days
        mask = days != ""
        if after is not None:
            mask &= days >= after
        if before is not None:
            mask &= days <= before
        return tuple(np.flatnonzero(mask).tolist())

    @cached_property
    def _published_days(self) -> npt.NDArray[np.str_]:
        """`published` days in index order as an array ('' when undated), for `episode_numbers`."""
        import numpy as np

        return np.array([day or "" for _, day in self.published], dtype="U10")

    def _episode_rows(self, column: str, ids: Sequence[str] | None) -> list[tuple[Any, ...]]:
        if ids is None:
            return self.rows(f"SELECT id, {column} FROM episodes")  # noqa: S608 - fixed column names
        return self.rows(f"SELECT id, {column} FROM episodes WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),))  # noqa: S608

    def turn_counts(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        """Turns per episode: of every episode, or of the episodes `ids`."""
        return {row[0]: row[1] for row in self._episode_rows("turn_count", ids)}

    def languages(self, ids: Sequence[str] | None = None) -> dict[str, list[str]]:
        """Languages each episode (or each of `ids`) has turn text in, the one with most turns first."""
        return {row[0]: json.loads(row[1]) for row in self._episode_rows("languages", ids)}

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

    # --- documents and ranking statistics -------------------------------------
    @cached_property
    def language_slots(self) -> dict[str, int]:
        return {code: slot for code, slot in self.rows("SELECT code, slot FROM languages")}

    @cached_property
    def slot_languages(self) -> dict[int, str]:
        return {slot: code for code, slot in self.language_slots.items()}

    def episode_docs(self, episode_pk: int) -> tuple[int, int]:
        """The rowid range of an episode's documents (its turns were inserted together)."""
        low, high = self.rows("SELECT min(pk), max(pk) FROM turns WHERE episode_pk = ?", (episode_pk,))[0]
        if low is None:
            return (1, 0)
        return (low * SLOTS, high * SLOTS + SLOTS - 1)

    # --- ranking statistics -----------------------------------------------
    @cached_property
    def fts_totals(self) -> tuple[int, int]:
        """(documents, tokens) as FTS5 counts them (its averages record): the documents are idf's N."""
        found = self.rows("SELECT block FROM fts_data WHERE id = 1")
        return averages(bytes(found[0][0])) if found and found[0][0] is not None else (0, 0)

    @cached_property
    def turn_arrays(self) -> TurnArrays:
        """Every turn's ranking facts as arrays by pk (corpus.postings_ranking)."""
        from corpus.postings_ranking import TurnArrays

        return TurnArrays.load(self)

    # --- search by meaning ------------------------------------------------------
    @cached_property
    def vectors_identity(self) -> str | None:
        """The model the index's vectors are of (None: built with search by meaning off)."""
        found = self.rows("SELECT value FROM meta WHERE key = 'vectors'")
        return None if not found or found[0][0] == "off" else str(found[0][0])

    def vector_counts(self) -> tuple[int, int]:
        """(passages, passages with a vector)."""
        found = self.rows("SELECT COUNT(*), COUNT(e.hash) FROM passages p LEFT JOIN embeddings e ON e.hash = p.hash")
        return int(found[0][0]), int(found[0][1])

    @cached_property
    def vector_table(self) -> VectorTable:
        """Every passage vector, by turn (corpus.semantic.vectors); loaded on first use."""
        from corpus.semantic.vectors import VectorTable

        query = "SELECT p.turn_pk, p.slot, e.vector FROM passages p JOIN embeddings e ON e.hash = p.hash ORDER BY p.turn_pk, p.slot, p.part"
        with self.cursor() as conn:
            try:
                count = conn.execute("SELECT COUNT(*) FROM passages p JOIN embeddings e ON e.hash = p.hash").fetchone()[0]
                rows = conn.execute(query)
                return VectorTable.from_batches(count, iter(lambda: rows.fetchmany(VECTOR_BATCH), []))
            except sqlite3.DatabaseError as exc:
                raise IndexError_(f"the index {self.path} cannot answer ({exc}); rebuild it with the 'ingest' command") from exc

    def turns_in_slot(self, slot: int) -> npt.NDArray[np.bool_]:
        """By turn pk: whether the turn has text in the language slot (kept per slot)."""
        found = self._slot_turns.get(slot)
        if found is None:
            import numpy as np

            size = len(self.turn_arrays.weight)
            found = np.zeros(size, dtype=bool)
            pks = [row[0] for row in self.rows("SELECT pk >> 3 FROM docs WHERE (pk & 7) = ?", (slot,))]
            found[np.asarray(pks, dtype=np.int64)] = True
            self._slot_turns.put(slot, found)
        return found
