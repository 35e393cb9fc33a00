"""HTTP throughput: our server with 1 and 2 worker processes against a bare MCPServer serving canned answers.

    python bench/http_workers.py [--seconds 15] [--clients 16 32]

Each server runs as its own process on a free loopback port; this process is the load
generator (bench/http_load.py's clients: the same mix of search, speaker, passage and launch
calls, handshake era). The floor (`bench/canned_http.py`) returns, for each tool, an answer our
server gave, with the same output models, and searches nothing. Prints calls/s, p50 and p99 per
configuration and client count, errors, and throughput over the floor's. On a 2-core machine the
load generator needs a core too: two workers share what is left.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.http_load import free_port, percentile, run_load  # noqa: E402
from corpus.index.build import build_index  # noqa: E402
from corpus.locations import BUNDLED_CORPUS  # noqa: E402

SAMPLES = {
    "search_transcript": {"query": "Apps SDK", "limit": 5},
    "get_speaker_turns": {"speaker": "sherwin", "limit": 10},
    "get_turn": {"turn_id": "latent-space-devday-2025:40", "before": 1, "after": 1},
    "list_launches": {},
}


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            httpx.post(f"http://127.0.0.1:{port}/mcp", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer on port {port}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def canned_results(url: str) -> dict[str, object]:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    found = {}
    for number, (tool, arguments) in enumerate(SAMPLES.items(), 1):
        body = {"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
        found[tool] = httpx.post(url, content=json.dumps(body), headers=headers, timeout=60).json()["result"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 32])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "index.sqlite"
        build_index(BUNDLED_CORPUS, index)
        env = {**os.environ, "PODCAST_CORPUS_INDEX": str(index)}
        configs: list[tuple[str, list[str]]] = [
            ("bare MCPServer, canned answers", [sys.executable, "-m", "bench.canned_http"]),
            ("ours, 1 worker", [sys.executable, "-m", "mcp_server", "--log-level", "WARNING", "serve", "--http", "--workers", "1"]),
            ("ours, 2 workers", [sys.executable, "-m", "mcp_server", "--log-level", "WARNING", "serve", "--http", "--workers", "2"]),
        ]
        for name, command in configs:
            port = free_port()
            full = [*command, str(port)] if name.startswith("bare") else [*command, "--port", str(port)]
            if name.startswith("bare"):
                ours = start([*configs[1][1], "--port", str(port)], env, port, Path(folder) / "sample.log")
                results = canned_results(f"http://127.0.0.1:{port}/mcp")
                stop(ours)
                (Path(folder) / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
                env_run = {**env, "CANNED_RESULTS": str(Path(folder) / "results.json")}
            else:
                env_run = env
            process = start(full, env_run, port, Path(folder) / f"{port}.log")
            try:
                for clients in args.clients:
                    tally, seconds = asyncio.run(run_load(f"http://127.0.0.1:{port}/mcp", clients, args.seconds, "handshake"))
                    latencies = [t for values in tally.latencies.values() for t in values]
                    rows.append((name, clients, len(latencies) / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99),
                                 sum(tally.errors.values())))
            finally:
                status = stop(process)
            if status not in (0, -signal.SIGTERM):  # uvicorn.run (the floor) re-raises SIGTERM once it has stopped
                print(f"{name}: exit status {status}", file=sys.stderr)
    floor = {clients: rate for name, clients, rate, *_ in rows if name.startswith("bare")}
    print(f"{'server':32s} {'clients':>7s} {'calls/s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} {'errors':>6s} {'x floor':>7s}")
    for name, clients, rate, p50, p99, errors in rows:
        print(f"{name:32s} {clients:7d} {rate:8.1f} {p50 * 1000:7.1f} {p99 * 1000:7.1f} {errors:6d} {rate / floor[clients]:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
