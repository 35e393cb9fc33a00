"""Passage vectors as compact arrays, and the turns most similar to a query vector.

Stored (and held) as int8 with one float32 scale per vector: 388 bytes a passage, a quarter
of float32, and dot products within about 1% of the float ones. A large index is searched
in two steps: every passage's 48-byte binary code (the signs of its vector) against the
query's, by Hamming distance, which keeps the RESCORED nearest; then those rescored exactly
from their int8 rows. A small one is scored exactly in full. A turn's similarity is its best
passage's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

CALIBRATION_ROWS = 2_048
"""Rows of each language whose similarities calibrate a query's scores in that language."""
EXACT_ROWS = 32_768
"""Up to this many passages, every one is scored exactly."""
RESCORED = 4_096
"""Above it, this many passages nearest by binary code are rescored exactly."""
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


def binary_codes(rows: npt.NDArray[np.int8]) -> npt.NDArray[np.uint64]:
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
    codes: npt.NDArray[np.uint64]

    @classmethod
    def from_blobs(cls, turns: Sequence[int], slots: Sequence[int], blobs: Sequence[bytes], dim: int = 384) -> VectorTable:
        """From (turn pk, slot, `encode`d vector) rows sorted by turn pk."""
        width = 4 + (len(blobs[0]) - 4 if blobs else dim)
        raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), width) if blobs else np.zeros((0, width), np.uint8)
        scales = np.ascontiguousarray(raw[:, :4]).view(np.float32).reshape(-1)
        rows = np.ascontiguousarray(raw[:, 4:]).view(np.int8)
        return cls(np.asarray(turns, dtype=np.int64), np.asarray(slots, dtype=np.int64), rows, scales, binary_codes(rows))

    def __len__(self) -> int:
        return len(self.turns)

    @property
    def nbytes(self) -> int:
        return int(self.turns.nbytes + self.rows.nbytes + self.scales.nbytes + self.codes.nbytes)

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

    def _calibration(self, query: Floats) -> tuple[Floats, Floats]:
        """Per language slot, the mean and spread of the query's similarity to that language's rows
        (all of them, or an even sample of CALIBRATION_ROWS): indexed by slot."""
        means = np.zeros(8, dtype=np.float32)
        spreads = np.ones(8, dtype=np.float32)
        for slot in np.unique(self.slots).tolist():
            rows = np.flatnonzero(self.slots == slot)
            if len(rows) > CALIBRATION_ROWS:
                rows = rows[np.linspace(0, len(rows) - 1, CALIBRATION_ROWS).astype(np.int64)]
            sims = self._exact(query, rows)
            means[slot] = sims.mean()
            spreads[slot] = max(float(sims.std()), 1e-3)
        return means, spreads

    def _calibrated(self, query: Floats, at: Ints | None, calibration: tuple[Floats, Floats]) -> Floats:
        """The similarities of the rows `at` (all when None) as standard scores within their language:
        a Korean query is closer to any Korean text than to English, so raw cosines would rank every
        Korean passage above the English one that answers; standardised, each language competes on
        how far a passage stands out from the rest of its language."""
        sims = self._exact(query, at)
        slots = self.slots if at is None else self.slots[at]
        means, spreads = calibration
        scored: Floats = (sims - means[slots]) / spreads[slots]
        return scored

    def nearest(self, query: Floats, allowed: Mask | None, limit: int) -> tuple[Ints, Floats]:
        """The `limit` turns most similar to `query` (normalised float32) among the allowed rows:
        their pks and (standardised, `_calibrated`) similarities, best first (ties: lower pk first)."""
        candidates: Ints | None = None if allowed is None else np.flatnonzero(allowed)
        count = len(self.turns) if candidates is None else len(candidates)
        if count == 0 or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        calibration = self._calibration(query)
        if count > EXACT_ROWS:
            code = binary_codes(np.sign(query).astype(np.int8).reshape(1, -1))[0]
            held = self.codes if candidates is None else self.codes[candidates]
            distance = np.bitwise_count(held ^ code).sum(axis=1, dtype=np.int32)
            near = np.argpartition(distance, RESCORED)[:RESCORED]
            candidates = near if candidates is None else candidates[near]
        sims = self._calibrated(query, candidates, calibration)
        rows = np.arange(len(self.turns)) if candidates is None else candidates
        return _best_per_turn(self.turns[rows], sims, limit)


def _best_per_turn(turns: Ints, sims: Floats, limit: int) -> tuple[Ints, Floats]:
    order = np.lexsort((turns, -sims))  # best first; equal similarity: lower pk first
    ranked_turns = turns[order]
    _, first = np.unique(ranked_turns, return_index=True)
    first.sort()
    picked = order[first[:limit]]
    return turns[picked], sims[picked]
