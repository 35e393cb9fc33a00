"""Search latency for adversarial queries on a built index (the slowest inputs we know of).

    python bench/hostile_queries.py .bench/index-10000.sqlite [--runs 3]

Prints, per query, the fastest of `--runs` in-process searches and the number of matching
turns. These are timings to read, not a test: the machine's load moves them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from corpus.search import Searcher
from corpus.store import CorpusStore

QUERIES = [
    "th*", "in*", "에*", '"a"', '"the the the the"', '"' + " ".join(["the"] * 30) + '"',
    "the of and a to in is you that it",
    " ".join(["model", "agent", "latency", "tokens", "eval", "data", "cost", "gpu"] * 2),
    "에이전트 모델 평가 추론 비용 프롬프트 최적화 데이터", "x" * 900,
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    store = CorpusStore(args.index)
    searcher = Searcher(store)
    searcher.warm()
    for query in QUERIES:
        best, total = float("inf"), 0
        for _ in range(args.runs):
            started = time.perf_counter()
            total = searcher.search(query).total
            best = min(best, time.perf_counter() - started)
        print(f"{best * 1000:8.1f} ms  {total:>9,} turns  {query[:60]!r}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
