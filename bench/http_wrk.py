"""HTTP throughput with wrk, side by side: a bare MCPServer returning our answer, ours with 1 and 2 workers.

    python bench/http_wrk.py [--seconds 8] [--rounds 3] [--connections 16 32]     (needs wrk: apt-get install wrk)

wrk (C, one thread) is a much lighter load generator than Python clients, so more of the machine
is left to the servers. All three servers run at once on loopback ports; each round measures each
of them in turn at each connection count, so that the load other work puts on a shared machine
falls on all of them alike. One search_transcript call is repeated (bench/http_wrk.lua): after
the first time our server answers it from its recent results, as it would a popular question;
the floor (bench/canned_http.py) returns that very answer and searches nothing. Ours runs as
a user would start it, its access log (a line per request, at INFO) included.

Prints, per server and connection count, the median over the rounds of requests/s, p50, p99,
errors, and the server's CPU time per request (user + system, its worker processes included,
from /proc): the CPU figure is the one other work on the machine disturbs least. Then each
throughput over the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.http_load import free_port  # noqa: E402
from bench.http_workers import canned_results, start, stop  # noqa: E402
from corpus.index.build import build_index  # noqa: E402
from corpus.locations import BUNDLED_CORPUS  # noqa: E402

LUA = REPO / "bench" / "http_wrk.lua"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float


def _cpu_ticks(pid: int) -> int:
    """User + system clock ticks of a process and of its children (the workers)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(found) for found in children.read_text().split()]
    total = 0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, seconds: float, pid: int) -> Run:
    before = _cpu_ticks(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), url],
        capture_output=True, text=True, check=True,
    ).stdout
    spent = _cpu_ticks(pid) - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Run(
        rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_millis(re.search(r"\s50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        p99_ms=_millis(re.search(r"\s99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        errors=errors,
        cpu_ms=spent * 1000 / TICK / max(requests, 1),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all servers (default 3)")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 32])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    ours = [sys.executable, "-m", "mcp_server", "serve", "--http"]  # at the default log level: its access log included
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build_index(BUNDLED_CORPUS, work / "index.sqlite")
        env = {**os.environ, "PODCAST_CORPUS_INDEX": str(work / "index.sqlite")}
        port = free_port()
        sample = start([*ours, "--port", str(port)], env, port, work / "sample.log")
        (work / "canned.json").write_text(json.dumps(canned_results(f"http://127.0.0.1:{port}/mcp")), encoding="utf-8")
        stop(sample)
        servers: dict[str, tuple[list[str], dict[str, str]]] = {
            "bare MCPServer, canned answer": (
                [sys.executable, "-m", "bench.canned_http"], {**env, "CANNED_RESULTS": str(work / "canned.json")}
            ),
            "ours, 1 worker": ([*ours, "--workers", "1", "--port"], env),
            "ours, 2 workers": ([*ours, "--workers", "2", "--port"], env),
        }
        running = {}
        try:
            for name, (command, run_env) in servers.items():
                port = free_port()
                running[name] = (start([*command, str(port)], run_env, port, work / f"{port}.log"), f"http://127.0.0.1:{port}/mcp")
                # warm up: the first calls open the index (each worker its own): start-up, not throughput
                subprocess.run(["wrk", "-t1", "-c8", "-d2s", "-s", str(LUA), running[name][1]], capture_output=True, check=True)
            runs: dict[tuple[str, int], list[Run]] = {}
            for _ in range(args.rounds):
                for connections in args.connections:
                    for name, (process, url) in running.items():
                        runs.setdefault((name, connections), []).append(wrk(url, connections, args.seconds, process.pid))
        finally:
            for process, _ in running.values():
                stop(process)
    print(f"{'server':32s} {'conns':>5s} {'req/s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} {'errors':>6s} {'CPU ms/req':>10s} {'x floor':>7s}")
    floor = next(iter(servers))
    for (name, connections), found in runs.items():
        rate = statistics.median(r.rate for r in found)
        floor_rate = statistics.median(r.rate for r in runs[floor, connections])
        print(
            f"{name:32s} {connections:5d} {rate:8.1f} {statistics.median(r.p50_ms for r in found):7.1f} "
            f"{statistics.median(r.p99_ms for r in found):7.1f} {sum(r.errors for r in found):6d} "
            f"{statistics.median(r.cpu_ms for r in found):10.2f} {rate / floor_rate:7.2f}"
        )
    ratios = [
        ours_run.rate / floor_run.rate
        for connections in args.connections
        for ours_run, floor_run in zip(runs["ours, 1 worker", connections], runs[floor, connections], strict=True)
    ]
    print(f"ours, 1 worker over the floor, each run: {min(ratios):.2f}-{max(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
