"""Cold start and round trip over stdio: our server against a bare MCPServer with one no-op tool.

    python bench/startup.py [--runs 9] [--calls 200]

Cold start: from launching the process to the answer to the first `tools/list`
(initialize first, as every client does). `python -m mcp_server` against
`python -m bench.noop_server`, launched the same way, alternately, `--runs` times each.
Round trip: one `tools/call` of `search_transcript` against one of the no-op tool, in
long-running processes after a warm-up (the index is opened on the first data call),
alternately, `--calls` each, cycling through QUERIES (English, Korean, typos, phrases,
prefixes, questions, filters). Between the two, the same search runs in this process
(`Searcher.search`, no MCP), so the round trip splits into the search itself and the
server's overhead around it. The index is built beforehand (a fresh temporary one):
building it is ingest, not start-up. Medians; targets: start-up ratio <= 1.3, round-trip
ratio <= 1.5. On Linux the servers' CPU time is printed too (per start, and per call over
the whole run): on a shared, busy machine wall times wander with the load, CPU times much less.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stdio_client import BARE, OURS, StdioPeer
from corpus.index.build import build_index
from corpus.load import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.store import CorpusStore

# (query, other arguments): 40 different calls, so no one query's caches carry the figures.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("Apps SDK", {}),
    ("에이전트 빌더", {}),
    ("agent kit evals", {}),
    ("Sora 2 API", {}),
    ("what is the service health dashboard", {}),
    ("podcast studio", {}),
    ("Anthropic consortium", {}),
    ("Ramp customer service", {}),
    ("WordPress", {}),
    ("chatkit.world globe", {}),
    ("deterministic workflows", {}),
    ("Canva keynote", {}),
    ("traces multimodal evals", {}),
    ("how do companies build internal agent platforms", {}),
    ("engineers start coding agents on their commute", {}),
    ("serving many fine-tuned model snapshots is hard", {}),
    ("Wordpres widgts", {}),
    ("Antropic consortum", {}),
    ("prompt optimisaton", {}),
    ("Databriks", {}),
    ("팟캐스트 스튜디오", {"language": "ko"}),
    ("캔바", {"language": "ko"}),
    ("싱가포르", {"language": "ko"}),
    ("다중 모드 평가", {"language": "ko"}),
    ("청중", {"language": "ko"}),
    ("코덱스 리뷰", {}),
    ("위젯 스튜디오", {}),
    ("스트라이프 체크아웃", {}),
    ("Kakao", {"speaker": "Christina"}),
    ("podcast studio", {"speaker": "Sherwin"}),
    ("evals", {"speaker": "sherwin", "language": "en"}),
    ('"prompt optimization"', {}),
    ('"agent builder" visual', {}),
    ("agent*", {}),
    ("fine-tun*", {"language": "en"}),
    ("reinforcement fine-tuning for customers", {"limit": 5}),
    ("gpt-5 pro in the API", {"limit": 20}),
    ("realtime voice model", {"start": "00:10:00"}),
    ("mini model pricing", {"end": "00:30:00"}),
    ("developers building on the platform", {"limit": 3}),
]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: unlike wall time, it barely moves
    when other work shares the machine. NaN where /proc is missing (not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cold_start(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall time, the server's CPU time) from launch to the answer to the first tools/list."""
    started = time.perf_counter()
    peer = StdioPeer(command, env)
    try:
        peer.initialize()
        peer.request("tools/list", {})
        return time.perf_counter() - started, cpu_seconds(peer.process.pid)
    finally:
        peer.close()


@dataclass
class Trips:
    """Per-call wall times, and CPU seconds per call over the whole run."""

    ours: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    local: list[float] = field(default_factory=list)
    ours_cpu: float = math.nan
    bare_cpu: float = math.nan
    local_cpu: float = math.nan


def round_trips(ours: StdioPeer, bare: StdioPeer, searcher: Searcher, calls: int) -> Trips:
    """Our round trips, no-op round trips and the same searches in this process, alternately."""
    trips = Trips()
    cpu_ours, cpu_bare = cpu_seconds(ours.process.pid), cpu_seconds(bare.process.pid)
    cpu_local = 0.0
    for number in range(calls):
        query, extra = QUERIES[number % len(QUERIES)]
        arguments = {"query": query, "limit": 10, **extra}
        started = time.perf_counter()
        ours.call("search_transcript", arguments)
        trips.ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare.call("noop", {"query": query})
        trips.bare.append(time.perf_counter() - started)
        started, cpu_started = time.perf_counter(), time.thread_time()
        searcher.search(**arguments)
        trips.local.append(time.perf_counter() - started)
        cpu_local += time.thread_time() - cpu_started
    trips.ours_cpu = (cpu_seconds(ours.process.pid) - cpu_ours) / calls
    trips.bare_cpu = (cpu_seconds(bare.process.pid) - cpu_bare) / calls
    trips.local_cpu = cpu_local / calls
    return trips


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * len(values))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        ours_command = [*OURS, "--index", str(index)]

        # Warm the OS file cache and write the .pyc files (even where PYTHONDONTWRITEBYTECODE is set:
        # an installed package has them), so that neither side compiles its sources on every start.
        writing = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        cold_start(ours_command, writing), cold_start(BARE, writing)
        starts_ours, starts_bare = [], []
        for _ in range(args.runs):
            starts_ours.append(cold_start(ours_command))
            starts_bare.append(cold_start(BARE))
        mine, theirs = [wall for wall, _ in starts_ours], [wall for wall, _ in starts_bare]
        start_ours, start_bare = statistics.median(mine), statistics.median(theirs)
        cpu_ours = statistics.median(cpu for _, cpu in starts_ours)
        cpu_bare = statistics.median(cpu for _, cpu in starts_bare)

        store = CorpusStore(index)
        searcher = Searcher(store, recent_results=0)
        ours, bare = StdioPeer(ours_command), StdioPeer(BARE)
        try:
            ours.initialize()
            bare.initialize()
            round_trips(ours, bare, searcher, 2 * len(QUERIES))  # warm-up: opens the index, fills caches
            trips = round_trips(ours, bare, searcher, args.calls)
        finally:
            ours.close()
            bare.close()
            store.close()
        trip_ours, trip_bare, search = (statistics.median(t) for t in (trips.ours, trips.bare, trips.local))

    print(f"cold start to first tools/list ({args.runs} runs each, median):")
    print(f"  python -m mcp_server        {ms(start_ours)}   (min {ms(min(mine))}, max {ms(max(mine))})")
    print(f"  bare MCPServer, no-op tool  {ms(start_bare)}   (min {ms(min(theirs))}, max {ms(max(theirs))})")
    print(f"  ratio {start_ours / start_bare:.2f} (target <= 1.3)")
    print(f"  server CPU time: {ms(cpu_ours)} against {ms(cpu_bare)}, ratio {cpu_ours / cpu_bare:.2f}")
    print(f"round trip over stdio ({args.calls} calls each over {len(QUERIES)} queries, median):")
    print(f"  search_transcript           {ms(trip_ours)}   (p90 {ms(p90(trips.ours))})")
    print(f"  no-op tool                  {ms(trip_bare)}   (p90 {ms(p90(trips.bare))})")
    print(f"  ratio {trip_ours / trip_bare:.2f} (target <= 1.5)")
    print(f"  server CPU time per call: {ms(trips.ours_cpu)} against {ms(trips.bare_cpu)}, ratio {trips.ours_cpu / trips.bare_cpu:.2f}")
    print("split of the search_transcript round trip (wall: medians; CPU: per call over the run):")
    print(f"  the same search in process  {ms(search)}   ({search / trip_bare:.2f} of a no-op round trip; CPU {ms(trips.local_cpu)})")
    print(f"  server and transport        {ms(trip_ours - search)}   (round trip less the search; no-op: {ms(trip_bare)})")
    print(f"  ratio if the search took no time: {(trip_ours - search) / trip_bare:.2f} "
          f"(CPU: {(trips.ours_cpu - trips.local_cpu) / trips.bare_cpu:.2f})")


if __name__ == "__main__":
    main()
