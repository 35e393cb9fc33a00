"""Passage vectors as compact arrays, and the turns most similar to a query vector.

Stored (and held) as int8 with one float32 scale per vector: 388 bytes a passage, a quarter
of float32, and dot products within about 1% of the float ones. An index of up to
EXACT_ROWS passages is scored exactly in full. A larger one in two steps: every passage's
48-byte binary code (the signs of its vector less its language's centre) against the query's,
by Hamming distance, which keeps the nearest; then those rescored exactly from their int8 rows. A turn's similarity is its best
passage's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.index.schema import SLOTS

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

CALIBRATION_ROWS = 2_048
"""Rows of each language whose similarities calibrate a query's scores in that language."""
EXACT_ROWS = 262_144
"""Up to this many passages (about 1,500 episodes), every one is scored exactly (about 12 ms
for 180,000 here)."""
RESCORED = 8_192
RESCORED_SHARE = 0.05
"""Above it, the passages nearest by binary code are rescored exactly: RESCORED, or this share
of them if that is more."""
BEST_ROWS_PER_TURN = 16
"""Rows kept per turn wanted before the best passage of each turn is found: when they hold fewer
distinct turns than wanted (a turn of many windows), every row is considered."""
_CHUNK = 8_192  # rows converted to float32 at a time: bounded scratch memory


def quantize(vectors: Floats) -> tuple[npt.NDArray[np.int8], Floats]:
    """int8 rows and their scales: row ≈ int8 * scale."""
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.round(vectors / scale[:, None]).astype(np.int8), scale


def encode(vector: Floats) -> bytes:
    """One stored vector: its float32 scale, then its int8 components."""
    rows, scale = quantize(vector.reshape(1, -1).astype(np.float32))
    return scale.tobytes() + rows.tobytes()


def binary_codes(rows: npt.NDArray[np.floating[Any]] | npt.NDArray[np.int8]) -> npt.NDArray[np.uint64]:
    """The sign bits of each row, packed into 64-bit words (dim must be a multiple of 64)."""
    bits = np.packbits(rows > 0, axis=1)
    return np.ascontiguousarray(bits).view(np.uint64)


@dataclass(frozen=True)
class VectorTable:
    """Every stored passage vector of an index, rows ordered by turn pk."""

    turns: Ints
    """The turn pk of each row, ascending."""
    slots: Ints
    """The language slot of each row's text."""
    rows: npt.NDArray[np.int8]
    scales: Floats
    centres: Floats
    """Per language slot (8 rows), the mean of its vectors: E5's vectors share a large common
    direction, so their raw signs say little; the signs of each vector less its language's
    centre keep three times the nearest neighbours (recall@10 0.80 against 0.44 with a tenth
    of the rows rescored, on the bundled corpus)."""
    codes: npt.NDArray[np.uint64]
    """The rows' binary codes (signs less the centre), column-major: codes[word, row] (a word at
    a time over every row is what Hamming distances read)."""
    samples: dict[int, Ints] = field(default_factory=dict, compare=False)
    """Per language slot, the rows that calibrate a query's similarities (`_calibration`)."""

    def __post_init__(self) -> None:
        for slot in np.unique(self.slots).tolist():
            rows = np.flatnonzero(self.slots == slot)
            if len(rows) > CALIBRATION_ROWS:
                rows = rows[np.linspace(0, len(rows) - 1, CALIBRATION_ROWS).astype(np.int64)]
            self.samples[int(slot)] = rows

    @classmethod
    def from_blobs(cls, turns: Sequence[int], slots: Sequence[int], blobs: Sequence[bytes], dim: int = 384) -> VectorTable:
        """From (turn pk, slot, `encode`d vector) rows sorted by turn pk."""
        return cls.from_batches(len(blobs), [list(zip(turns, slots, blobs, strict=True))], dim)

    @classmethod
    def from_batches(cls, count: int, batches: Iterable[Sequence[tuple[int, int, bytes]]], dim: int = 384) -> VectorTable:
        """From `count` (turn pk, slot, `encode`d vector) rows sorted by turn pk, arriving in batches:
        the arrays are filled as they come, so loading holds no second copy of the table."""
        turns = np.empty(count, dtype=np.int64)
        slots = np.empty(count, dtype=np.int64)
        rows = np.empty((count, dim), dtype=np.int8)
        scales = np.empty(count, dtype=np.float32)
        sums = np.zeros((SLOTS, dim), dtype=np.float64)
        at = 0
        for batch in batches:
            if not batch:
                continue
            end = at + len(batch)
            raw = np.frombuffer(b"".join(blob for _, _, blob in batch), dtype=np.uint8).reshape(len(batch), 4 + dim)
            turns[at:end] = [turn for turn, _, _ in batch]
            slots[at:end] = [slot for _, slot, _ in batch]
            scales[at:end] = np.ascontiguousarray(raw[:, :4]).view(np.float32).reshape(-1)
            rows[at:end] = raw[:, 4:].view(np.int8)
            restored = rows[at:end].astype(np.float32) * scales[at:end, None]
            for slot in np.unique(slots[at:end]).tolist():
                sums[slot] += restored[slots[at:end] == slot].sum(axis=0)
            at = end
        if at != count:  # rows went away while they were read: keep what arrived
            turns, slots, rows, scales = turns[:at], slots[:at], rows[:at], scales[:at]
        held = np.bincount(slots, minlength=SLOTS)[:, None] if at else np.ones((SLOTS, 1))
        centres = (sums / np.maximum(held, 1)).astype(np.float32)
        codes = np.empty((dim // 64, at), dtype=np.uint64)
        for begin in range(0, at, _CHUNK):
            chunk = slice(begin, begin + _CHUNK)
            restored = rows[chunk].astype(np.float32) * scales[chunk, None] - centres[slots[chunk]]
            codes[:, chunk] = binary_codes(restored).T
        return cls(turns, slots, rows, scales, centres, codes)

    def __len__(self) -> int:
        return len(self.turns)

    @property
    def nbytes(self) -> int:
        return int(self.turns.nbytes + self.slots.nbytes + self.rows.nbytes + self.scales.nbytes + self.codes.nbytes)

    def _exact(self, query: Floats, at: Ints | None) -> Floats:
        """Similarity of the rows `at` (every row when None) to the query."""
        count = len(self.turns) if at is None else len(at)
        out = np.empty(count, dtype=np.float32)
        for begin in range(0, count, _CHUNK):
            picked = self.rows[begin : begin + _CHUNK] if at is None else self.rows[at[begin : begin + _CHUNK]]
            out[begin : begin + _CHUNK] = picked.astype(np.float32) @ query
        scales = self.scales if at is None else self.scales[at]
        result: Floats = out * scales
        return result

    def _calibration(self, query: Floats, every: Floats | None = None) -> tuple[Floats, Floats]:
        """Per language slot, the mean and spread of the query's similarity to that language's rows
        (all of them, or an even sample of CALIBRATION_ROWS): indexed by slot. `every`: the
        similarities of all rows, when they are known already."""
        means = np.zeros(8, dtype=np.float32)
        spreads = np.ones(8, dtype=np.float32)
        for slot, rows in self.samples.items():
            sims = every[rows] if every is not None else self._exact(query, rows)
            means[slot] = sims.mean()
            spreads[slot] = max(float(sims.std()), 1e-3)
        return means, spreads

    def _calibrated(self, query: Floats, at: Ints | None, calibration: tuple[Floats, Floats] | None = None) -> Floats:
        """The similarities of the rows `at` (all when None) as standard scores within their language:
        a Korean query is closer to any Korean text than to English, so raw cosines would rank every
        Korean passage above the English one that answers; standardised, each language competes on
        how far a passage stands out from the rest of its language."""
        sims = self._exact(query, at)
        slots = self.slots if at is None else self.slots[at]
        means, spreads = calibration if calibration is not None else self._calibration(query, sims if at is None else None)
        scored: Floats = (sims - means[slots]) / spreads[slots]
        return scored

    def _coarse(self, query: Floats, allowed: Mask | None, keep: int) -> Ints:
        """The `keep` allowed rows nearest the query by the Hamming distance of their codes (each
        language's rows against the query less that language's centre)."""
        distance = np.zeros(len(self.turns), dtype=np.uint16)
        for slot in self.samples:
            code = binary_codes((query - self.centres[slot]).reshape(1, -1))[0]
            mine = np.bitwise_count(self.codes[0] ^ code[0]).astype(np.uint16)
            for word in range(1, len(code)):
                mine += np.bitwise_count(self.codes[word] ^ code[word])
            distance = np.where(self.slots == slot, mine, distance)
        if allowed is not None:
            distance[~allowed] = np.iinfo(np.uint16).max  # never nearer than an allowed row
        candidates: Ints = np.argpartition(distance, min(keep, len(distance) - 1))[:keep]
        return candidates if allowed is None else candidates[allowed[candidates]]

    def nearest(self, query: Floats, allowed: Mask | None, limit: int) -> tuple[Ints, Floats]:
        """The `limit` turns most similar to `query` (normalised float32) among the allowed rows:
        their pks and (standardised, `_calibrated`) similarities, best first (ties: lower pk first)."""
        candidates: Ints | None = None if allowed is None else np.flatnonzero(allowed)
        count = len(self.turns) if candidates is None else len(candidates)
        if count == 0 or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if count > EXACT_ROWS:
            candidates = self._coarse(query, allowed, max(RESCORED, int(RESCORED_SHARE * count)))
        if candidates is not None and 2 * len(candidates) > len(self.turns):
            candidates = None  # most rows are wanted: score them all (calibration comes free), filter after
        sims = self._calibrated(query, candidates)
        rows = np.arange(len(self.turns)) if candidates is None else candidates
        if candidates is None and allowed is not None:
            rows = np.flatnonzero(allowed)
            sims = sims[rows]
        enough = limit * BEST_ROWS_PER_TURN
        if len(sims) > enough:  # the best rows only: a turn has few passages, so they hold the best turns
            best = np.argpartition(-sims, enough - 1)[:enough]
            found = _best_per_turn(self.turns[rows[best]], sims[best], limit)
            if len(found[0]) == limit:
                return found
        return _best_per_turn(self.turns[rows], sims, limit)


def _best_per_turn(turns: Ints, sims: Floats, limit: int) -> tuple[Ints, Floats]:
    order = np.lexsort((turns, -sims))  # best first; equal similarity: lower pk first
    ranked_turns = turns[order]
    _, first = np.unique(ranked_turns, return_index=True)
    first.sort()
    picked = order[first[:limit]]
    return turns[picked], sims[picked]
