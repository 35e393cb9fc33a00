"""Search latency on the bundled corpus, in process, and the index build time.

    python bench/search_latency.py [--rounds 20]

Prints p50/p99 over the judged dev queries plus a mix of our own (English, Korean,
typos, cross-language, filtered), each run `--rounds` times after one warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus.index.build import build_index
from corpus.load import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.store import CorpusStore

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_queries.json"
OWN = [
    ("Apps SDK", {}), ("what is the service health dashboard", {}), ("Databriks", {}), ("스트라이프 체크아웃", {}),
    ("에이전트 빌더", {"language": "ko"}), ("evals", {"speaker": "sherwin"}), ('"prompt optimization"', {}), ("agent*", {}),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    queries: list[tuple[str, dict[str, Any]]] = list(OWN)
    if DEV_SET.exists():
        queries += [(q["query"], q.get("args", {})) for q in json.loads(DEV_SET.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index.sqlite"
        builds = []
        for _ in range(3):
            started = time.perf_counter()
            build_index(BUNDLED_CORPUS, index, rebuild=True)
            builds.append(time.perf_counter() - started)
        searcher = Searcher(CorpusStore(index), recent_results=0)  # the search itself, not a kept result
        for query, kwargs in queries:  # warm-up: lazy tables, caches
            searcher.search(query, **kwargs)
        timings = []
        for _ in range(args.rounds):
            for query, kwargs in queries:
                started = time.perf_counter()
                searcher.search(query, **kwargs)
                timings.append((time.perf_counter() - started) * 1000)
    print(f"index build (bundled corpus, full rebuild): median {statistics.median(builds) * 1000:.0f} ms over 3")
    print(f"search in-process: {len(timings)} calls over {len(queries)} queries")
    print(f"  p50 {percentile(timings, 0.5):.2f} ms   p90 {percentile(timings, 0.9):.2f} ms   p99 {percentile(timings, 0.99):.2f} ms")


if __name__ == "__main__":
    main()
