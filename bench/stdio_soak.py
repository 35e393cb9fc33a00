"""10,000 sequential calls to `python -m mcp_server` over stdio, with the server's memory sampled.

    python bench/stdio_soak.py [--calls 10000] [--every 500]

Cycles through every tool (ordinary and erroring arguments), reads the server's RSS from
/proc every `--every` calls, and prints the samples, the growth after warm-up and the
throughput. Memory is flat when the growth stays within a few MB (allocator noise).
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stdio_client import OURS, StdioPeer
from corpus.index.build import build_index
from corpus.load import BUNDLED_CORPUS

EPISODE = "latent-space-devday-2025"
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_transcript", {"query": "Apps SDK"}),
    ("search_transcript", {"query": "에이전트 빌더", "language": "ko"}),
    ("search_transcript", {"query": "Databriks evals", "speaker": "sherwin"}),
    ("search_transcript", {"query": 'NEAR( "unclosed'}),
    ("get_speaker_turns", {"speaker": "셔윈", "limit": 20}),
    ("get_turn", {"turn_id": f"{EPISODE}:40", "before": 3, "after": 3}),
    ("get_turn", {"turn_id": f"{EPISODE}:999999"}),
    ("list_launches", {"query": "sora"}),
    ("list_speakers", {}),
    ("list_episodes", {}),
    ("search", {"query": "agent kit"}),
    ("fetch", {"id": f"{EPISODE}:12"}),
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        peer = StdioPeer([*OURS, "--index", str(index)])
        try:
            peer.initialize()
            pid = peer.process.pid
            for name, arguments in CALLS * 5:  # warm-up: index open, caches filled
                peer.request("tools/call", {"name": name, "arguments": arguments})
            samples = [(0, rss_kib(pid))]
            errors = 0
            started = time.perf_counter()
            for number in range(1, args.calls + 1):
                name, arguments = CALLS[number % len(CALLS)]
                result = peer.request("tools/call", {"name": name, "arguments": arguments})["result"]
                errors += bool(result.get("isError"))
                if number % args.every == 0:
                    samples.append((number, rss_kib(pid)))
            elapsed = time.perf_counter() - started
            alive = peer.process.poll() is None
        finally:
            peer.close()
    print(f"{args.calls} sequential stdio calls in {elapsed:.1f}s ({args.calls / elapsed:.0f} calls/s), "
          f"{errors} tool errors (expected: the erroring arguments), server alive: {alive}")
    print("RSS (MiB) by calls: " + ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in samples))
    start, end, peak = samples[0][1], samples[-1][1], max(kib for _, kib in samples)
    print(f"RSS after warm-up {start / 1024:.1f} MiB, at the end {end / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
          f"growth {(end - start) / 1024:+.1f} MiB")


if __name__ == "__main__":
    main()
