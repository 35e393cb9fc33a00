"""Where the bundled corpus lives: a module of its own, so naming it imports nothing else."""

from __future__ import annotations

from pathlib import Path

BUNDLED_CORPUS = Path(__file__).parent / "texts"
