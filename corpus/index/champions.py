"""Champion lists: for each index term, the documents where it weighs most.

A term's list holds its `CHAMPION_SIZE` documents of highest `impact`
(`corpus.bm25.impact`: the term's BM25 share before idf, times the turn's
length prior), and its `floor` in the `terms` table is an upper bound on the
impact of every document of the term that is not in the list (0 when the list
holds them all). Search scores only the listed documents of a query's terms,
then uses the floors to prove that no other document could rank above them
(`corpus.topk`); when it cannot prove it, it runs the exhaustive query instead.

Lists are maintained incrementally: a build collects the impacts of the
documents it adds, merges them into the stored lists at the end, and raises a
floor whenever a document is pushed out. Deleting documents only removes their
entries: the remaining floor still bounds every unlisted document, so the
proof stays sound. Impacts are computed with the average document length of
the moment (`avgdl`); meta `champion_avgdl_min` keeps the smallest one used,
so a query can widen the floors when today's average is larger.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from corpus.bm25 import K1, B, averages

CHAMPION_SIZE = 200

Entry = tuple[float, int]  # (-impact, doc pk): sorts best first, ties to the lower pk


def fts_totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens) of the FTS index, as FTS5 itself counts them."""
    row = conn.execute("SELECT block FROM fts_data WHERE id = 1").fetchone()
    return averages(bytes(row[0])) if row is not None and row[0] is not None else (0, 0)


def _top(entries: Iterable[Entry], size: int) -> tuple[list[Entry], float]:
    """The `size` best entries and the best impact left out (0.0 if none)."""
    ordered = sorted(entries)
    return ordered[:size], (-ordered[size][0] if len(ordered) > size else 0.0)


@dataclass
class ChampionBuilder:
    """Collects the impacts of the documents a build adds, then merges them into the index."""

    avgdl: float
    size: int = CHAMPION_SIZE
    pending: dict[str, list[Entry]] = field(default_factory=dict)
    floors: dict[str, float] = field(default_factory=dict)
    cuts: dict[str, float] = field(default_factory=dict)
    """Per term, the lowest impact kept at its last trim: anything not above it is dropped at once."""

    def add(self, doc: int, counts: dict[str, int], length: int, weight: float) -> None:
        # corpus.bm25.impact, unrolled: this runs for every term of every document
        norm = K1 * (1 - B + B * length / self.avgdl)
        scale = (K1 + 1.0) * weight
        pending, cuts, floors = self.pending, self.cuts, self.floors
        for term, freq in counts.items():
            value = freq * scale / (freq + norm)
            cut = cuts.get(term)
            if cut is not None and value <= cut:  # pks only grow within a build: it would lose the tie too
                if value > floors.get(term, 0.0):
                    floors[term] = value
                continue
            entries = pending.get(term)
            if entries is None:
                pending[term] = [(-value, doc)]
                continue
            entries.append((-value, doc))
            if len(entries) >= 2 * self.size:
                kept, dropped = _top(entries, self.size)
                pending[term] = kept
                cuts[term] = -kept[-1][0]
                floors[term] = max(floors.get(term, 0.0), dropped)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Merge the pending entries into the stored lists and floors."""
        fresh = conn.execute("SELECT 1 FROM champions LIMIT 1").fetchone() is None
        rows: list[tuple[str, int, float]] = []
        raised: list[tuple[float, str]] = []
        for term, entries in self.pending.items():
            stored = [] if fresh else conn.execute("SELECT -impact, doc FROM champions WHERE term = ?", (term,)).fetchall()
            kept, dropped = _top([*stored, *entries], self.size)
            floor = max(self.floors.get(term, 0.0), dropped)
            if stored:
                conn.execute("DELETE FROM champions WHERE term = ?", (term,))
            rows += [(term, d, -i) for i, d in kept]
            if floor > 0.0:
                raised.append((floor, term))
        conn.executemany("INSERT INTO champions (term, doc, impact) VALUES (?, ?, ?)", rows)
        conn.executemany("UPDATE terms SET floor = max(floor, ?) WHERE term = ?", raised)
        self.pending.clear()
        self.floors.clear()
        self.cuts.clear()
        previous = conn.execute("SELECT value FROM meta WHERE key = 'champion_avgdl_min'").fetchone()
        lowest = min(self.avgdl, float(previous[0])) if previous is not None else self.avgdl
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("champion_avgdl_min", repr(lowest)), ("champion_size", str(self.size))],
        )
