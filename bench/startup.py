"""Cold start and round trip over stdio: our server against a bare MCPServer with one no-op tool.

    python bench/startup.py [--runs 9] [--calls 200]

Cold start: from launching the process to the answer to the first `tools/list`
(initialize first, as every client does). `python -m mcp_server` against
`python -m bench.noop_server`, launched the same way, alternately, `--runs` times each.
Round trip: one `tools/call` of `search_transcript` against one of the no-op tool, in
long-running processes after a warm-up (the index is opened on the first data call),
alternately, `--calls` each. The index is built beforehand (a fresh temporary one):
building it is ingest, not start-up. Medians; targets: start-up ratio <= 1.3, round-trip ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stdio_client import BARE, OURS, StdioPeer
from corpus.index.build import build_index
from corpus.load import BUNDLED_CORPUS

QUERIES = ["Apps SDK", "에이전트 빌더", "agent kit evals", "Sora 2 API", "what is the service health dashboard"]


def cold_start(command: list[str]) -> float:
    started = time.perf_counter()
    peer = StdioPeer(command)
    try:
        peer.initialize()
        peer.request("tools/list", {})
        return time.perf_counter() - started
    finally:
        peer.close()


def round_trips(ours: StdioPeer, bare: StdioPeer, calls: int) -> tuple[list[float], list[float]]:
    mine: list[float] = []
    theirs: list[float] = []
    for number in range(calls):
        started = time.perf_counter()
        ours.call("search_transcript", {"query": QUERIES[number % len(QUERIES)], "limit": 10})
        mine.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare.call("noop", {"query": QUERIES[number % len(QUERIES)]})
        theirs.append(time.perf_counter() - started)
    return mine, theirs


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        ours_command = [*OURS, "--index", str(index)]

        cold_start(ours_command), cold_start(BARE)  # warm the OS file cache and .pyc files
        mine, theirs = [], []
        for _ in range(args.runs):
            mine.append(cold_start(ours_command))
            theirs.append(cold_start(BARE))
        start_ours, start_bare = statistics.median(mine), statistics.median(theirs)

        ours, bare = StdioPeer(ours_command), StdioPeer(BARE)
        try:
            ours.initialize()
            bare.initialize()
            round_trips(ours, bare, 20)  # warm-up: opens the index, fills caches
            trip_mine, trip_theirs = round_trips(ours, bare, args.calls)
        finally:
            ours.close()
            bare.close()
        trip_ours, trip_bare = statistics.median(trip_mine), statistics.median(trip_theirs)

    print(f"cold start to first tools/list ({args.runs} runs each, median):")
    print(f"  python -m mcp_server        {ms(start_ours)}   (min {ms(min(mine))}, max {ms(max(mine))})")
    print(f"  bare MCPServer, no-op tool  {ms(start_bare)}   (min {ms(min(theirs))}, max {ms(max(theirs))})")
    print(f"  ratio {start_ours / start_bare:.2f} (target <= 1.3)")
    print(f"round trip over stdio ({args.calls} calls each, median):")
    print(f"  search_transcript           {ms(trip_ours)}   (p90 {ms(sorted(trip_mine)[int(0.9 * len(trip_mine))])})")
    print(f"  no-op tool                  {ms(trip_bare)}   (p90 {ms(sorted(trip_theirs)[int(0.9 * len(trip_theirs))])})")
    print(f"  ratio {trip_ours / trip_bare:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
