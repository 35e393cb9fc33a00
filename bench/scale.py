"""Scale benchmark: ingest, index size, search and tool latency, server memory at 1k and 10k episodes.

    python -m bench.scale [--sizes 1000 10000] [--work DIR] [--seed 7] [--markdown]

For each size: generate a synthetic corpus (`bench.synthetic`, cached in the
work folder), ingest it into a fresh corpus directory (timed), then measure
search over a mixed query set in-process (`corpus.search.Searcher`) and through
the MCP client (`mcp.Client(create_server(...))`), `get_speaker_turns` and
`list_launches` latency, and the resident memory of a `serve` process (stdio)
after it has answered the query set. Figures are printed as JSON (and as a
Markdown table with --markdown); they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from bench.synthetic import generate

QUERIES = [
    # single common and technical words, rare words, phrases, typos, Korean, filters
    {"query": "model"}, {"query": "latency"}, {"query": "agents"}, {"query": "benchmark dataset"},
    {"query": "fine-tuning"}, {"query": "quantization"}, {"query": "retrieval embeddings"},
    {"query": "structured outputs"}, {"query": "guardrails safety"}, {"query": "GPU cluster compute"},
    {"query": "Nimbus Pro"}, {"query": "Helix Studio"}, {"query": "what did they say about pricing for enterprise"},
    {"query": "how do you think about evaluation"}, {"query": "\"context window\""}, {"query": "infer*"},
    {"query": "latncy"}, {"query": "reasonning"}, {"query": "deploymnet monitoring"},
    {"query": "에이전트"}, {"query": "모델 평가"}, {"query": "프롬프트 최적화"}, {"query": "추론 비용"},
    {"query": "model", "language": "ko"}, {"query": "search", "language": "en"},
    {"query": "agents", "speaker": "SPEAKER"}, {"query": "latency", "episode": "EPISODE"},
    {"query": "tokens", "episode": "EPISODE", "speaker": "SPEAKER"},
    {"query": "kamiro"}, {"query": "vakdex lorpi"}, {"query": "uxzen"},
    {"query": "tools", "start": "00:10:00", "end": "01:00:00"},
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _queries(store: Any) -> list[dict[str, Any]]:
    episode = next(iter(store.episodes))
    speaker = next(s.id for s in store.episodes[episode].speakers)
    out = []
    for q in QUERIES:
        q = dict(q)
        if q.get("episode") == "EPISODE":
            q["episode"] = episode
        if q.get("speaker") == "SPEAKER":
            q["speaker"] = speaker
        out.append(q)
    return out


def build(size: int, work: Path, seed: int) -> dict[str, Any]:
    from corpus.ingest import ingest

    source = work / f"synthetic-{size}-seed{seed}"
    marker = source / ".complete"
    if not marker.is_file():
        started = time.perf_counter()
        generate(source, size, seed=seed)
        marker.write_text("ok\n")
        print(f"[{size}] generated in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    corpus = work / f"corpus-{size}"
    index = work / f"index-{size}.sqlite"
    timing = work / f"ingest-{size}.json"
    from corpus.index.build import code_fingerprint, read_meta

    if timing.is_file() and read_meta(index).get("code") == code_fingerprint():  # built by this code: reuse it
        return dict(json.loads(timing.read_text()))
    for path in (corpus, index):
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    started, cpu = time.perf_counter(), time.process_time()
    report = ingest([source], corpus, index)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert not report.errors, report.summary()
    from corpus.store import CorpusStore

    store = CorpusStore(index)
    turns = sum(store.turn_counts().values())
    store.close()
    corpus_bytes = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    figures = {
        "episodes": size,
        "turns": turns,
        "corpus_mb": round(corpus_bytes / 1e6, 1),
        "ingest_s": round(seconds, 1),
        "ingest_cpu_s": round(cpu, 1),  # this process's CPU time: less moved than wall time by other work on the machine
        "index_s": round(report.index.seconds, 1) if report.index is not None else None,  # of which: the index build (wall)
        "episodes_per_s": round(size / seconds, 1),
        "turns_per_s": round(turns / seconds),
        "index_mb": round(index.stat().st_size / 1e6, 1),
    }
    timing.write_text(json.dumps(figures))
    # re-ingesting the same files must change nothing, and be cheap
    started = time.perf_counter()
    again = ingest([source], corpus, index)
    figures["reingest_s"] = round(time.perf_counter() - started, 1)
    figures["reingest_changed"] = len(again.added) + len(again.updated)
    timing.write_text(json.dumps(figures))
    return figures


def in_process(index: Path, rounds: int) -> dict[str, Any]:
    from corpus import catalog, turns
    from corpus.search import Searcher
    from corpus.store import CorpusStore
    from corpus.times import parse_time

    store = CorpusStore(index)
    searcher = Searcher(store, recent_results=0)  # the search itself, not a kept result
    queries = _queries(store)
    started = time.perf_counter()
    searcher.search(queries[0]["query"])
    first = time.perf_counter() - started
    searcher.warm()  # what the server does in the background once the index is open
    times: list[float] = []
    for _ in range(rounds):
        for q in queries:
            args = {k: v for k, v in q.items() if k != "query"}
            if "start" in args:
                args["start"] = parse_time(args["start"], "start")
                args["end"] = parse_time(args["end"], "end")
            t0 = time.perf_counter()
            searcher.search(q["query"], limit=10, **args)
            times.append(time.perf_counter() - t0)
    speaker = next(q["speaker"] for q in queries if "speaker" in q)
    speaker_times, launch_times = [], []
    for _ in range(rounds * 5):
        t0 = time.perf_counter()
        turns.speaker_turns(store, speaker, limit=20)
        speaker_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        catalog.list_launches(store)
        launch_times.append(time.perf_counter() - t0)
    slowest = sorted(zip(times, [q["query"] for _ in range(rounds) for q in queries], strict=True))[-3:]
    store.close()
    return {
        "search_first_ms": _ms(first),
        "search_p50_ms": _ms(_pct(times, 0.5)),
        "search_p99_ms": _ms(_pct(times, 0.99)),
        "search_mean_ms": _ms(statistics.mean(times)),
        "slowest": [(q, _ms(t)) for t, q in slowest],
        "speaker_turns_p50_ms": _ms(_pct(speaker_times, 0.5)),
        "speaker_turns_p99_ms": _ms(_pct(speaker_times, 0.99)),
        "list_launches_p50_ms": _ms(_pct(launch_times, 0.5)),
        "list_launches_p99_ms": _ms(_pct(launch_times, 0.99)),
    }


SETTLE_SECONDS = 8.0
"""After the first call opens the index, the server warms its lookups in a background thread
(Searcher.warm: 2-3 s of CPU at 10,000 episodes); the timed calls start once it is done."""


async def _through_client(client: Any, queries: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    times: list[float] = []
    started = time.perf_counter()
    await client.call_tool("search_transcript", {"query": "warm up"})
    first = time.perf_counter() - started
    await anyio.sleep(SETTLE_SECONDS)
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            result = await client.call_tool("search_transcript", {"limit": 10, **q})
            times.append(time.perf_counter() - t0)
            assert not result.is_error, (q, result.content)
    speaker = next(q["speaker"] for q in queries if "speaker" in q)
    speaker_times, launch_times = [], []
    for _ in range(rounds * 2):
        t0 = time.perf_counter()
        result = await client.call_tool("get_speaker_turns", {"speaker": speaker})
        speaker_times.append(time.perf_counter() - t0)
        assert not result.is_error, result.content
        t0 = time.perf_counter()
        result = await client.call_tool("list_launches", {})
        launch_times.append(time.perf_counter() - t0)
        assert not result.is_error, result.content
    return {
        "first_call_ms": _ms(first),
        "search_p50_ms": _ms(_pct(times, 0.5)),
        "search_p99_ms": _ms(_pct(times, 0.99)),
        "speaker_turns_p50_ms": _ms(_pct(speaker_times, 0.5)),
        "list_launches_p50_ms": _ms(_pct(launch_times, 0.5)),
    }


def through_mcp(corpus: Path, index: Path, rounds: int) -> dict[str, Any]:
    from mcp import Client

    from corpus.store import CorpusStore
    from mcp_server.server import create_server

    store = CorpusStore(index)
    queries = _queries(store)
    store.close()

    async def run() -> dict[str, Any]:
        async with Client(create_server(corpus, index)) as client:
            return await _through_client(client, queries, rounds)

    return anyio.run(run)


def _children_rss() -> tuple[float, float]:
    """(current, peak) resident MB of this process's `mcp_server serve` children."""
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == me and "mcp_server" in cmdline:
            return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    return float("nan"), float("nan")


def server_rss(corpus: Path, index: Path, rounds: int) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    from corpus.store import CorpusStore

    store = CorpusStore(index)
    queries = _queries(store)
    store.close()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server", "--log-level", "WARNING", "serve", "--corpus", str(corpus), "--index", str(index)]
    )

    async def run() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            figures = await _through_client(client, queries, rounds)
            rss, peak = _children_rss()
        return {"stdio_first_call_ms": figures["first_call_ms"],
                "stdio_search_p50_ms": figures["search_p50_ms"], "stdio_search_p99_ms": figures["search_p99_ms"],
                "server_rss_mb": round(rss, 1), "server_peak_rss_mb": round(peak, 1)}

    return anyio.run(run)


def markdown(results: list[dict[str, Any]]) -> str:
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("Episodes / turns", lambda r: f"{r['episodes']:,} / {r['turns']:,}"),
        ("Corpus on disk", lambda r: f"{r['corpus_mb']} MB"),
        ("Ingest (copy + parse + index)", lambda r: f"{r['ingest_s']} s ({r['episodes_per_s']} episodes/s, {r['turns_per_s']:,} turns/s)"),
        ("Ingest CPU time; index build alone, wall time", lambda r: f"{r.get('ingest_cpu_s', '–')} s; {r.get('index_s') or '–'} s"),
        ("Re-ingest, nothing changed", lambda r: f"{r['reingest_s']} s ({r['reingest_changed']} changed)"),
        ("Index size", lambda r: f"{r['index_mb']} MB"),
        ("Search p50 / p99, in-process", lambda r: f"{r['search_p50_ms']} / {r['search_p99_ms']} ms"),
        ("Search p50 / p99, MCP client (in-memory)", lambda r: f"{r['mcp']['search_p50_ms']} / {r['mcp']['search_p99_ms']} ms"),
        ("Search p50 / p99, MCP stdio", lambda r: f"{r['rss']['stdio_search_p50_ms']} / {r['rss']['stdio_search_p99_ms']} ms"),
        ("First search in-process / first call over stdio (opens the index)",
         lambda r: f"{r['search_first_ms']} / {r['rss']['stdio_first_call_ms']} ms"),
        ("get_speaker_turns p50, in-process / MCP", lambda r: f"{r['speaker_turns_p50_ms']} / {r['mcp']['speaker_turns_p50_ms']} ms"),
        ("list_launches p50, in-process / MCP", lambda r: f"{r['list_launches_p50_ms']} / {r['mcp']['list_launches_p50_ms']} ms"),
        ("Server RSS after the query set (peak)", lambda r: f"{r['rss']['server_rss_mb']} MB ({r['rss']['server_peak_rss_mb']} MB)"),
    ]
    head = "| | " + " | ".join(f"{r['episodes']:,} episodes" for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=Path(".bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query set")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        figures = build(size, args.work, args.seed)
        print(f"[{size}] ingest: {json.dumps(figures)}", file=sys.stderr)
        if args.build_only:
            continue
        corpus, index = args.work / f"corpus-{size}", args.work / f"index-{size}.sqlite"
        figures.update(in_process(index, args.rounds))
        figures["mcp"] = through_mcp(corpus, index, max(1, args.rounds // 2))
        figures["rss"] = server_rss(corpus, index, max(1, args.rounds // 2))
        (args.work / f"results-{size}.json").write_text(json.dumps(figures, indent=1))
        print(f"[{size}] {json.dumps(figures)}", file=sys.stderr)
        results.append(figures)
    if results:
        print(json.dumps(results, indent=1))
        if args.markdown:
            print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
