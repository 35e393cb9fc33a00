"""Load over Streamable HTTP: concurrent clients making real tool calls against `serve --http`.

    python bench/http_load.py [--clients 32] [--seconds 60] [--era handshake|modern]
    python bench/http_load.py --seconds 5            # quick mode

Starts `python -m mcp_server serve --http` as a child process on a free loopback port, on the
bundled corpus with a fresh temporary index (built beforehand: building is ingest, not serving).
This process is the load generator: `--clients` concurrent clients (asyncio, one shared httpx
keep-alive pool with a connection per client), each calling tools back to back for `--seconds`:
search_transcript with English and Korean queries (varied language, speaker and limit),
get_speaker_turns, get_turn and list_launches, as JSON-RPC `tools/call` over HTTP. In the
handshake era (default) each client first sends `initialize` and `notifications/initialized`
and then the negotiated MCP-Protocol-Version header, as most clients in the field do; in the
2026-07-28 era each request carries its `_meta` envelope and the Mcp-Method/Mcp-Name headers.

An error is any call that does not come back as HTTP 200 with a JSON-RPC result holding
structured content and `isError` false: an HTTP status, a transport failure, a JSON-RPC error or
a tool error. Prints one JSON object on stdout (calls, throughput, latency percentiles, errors,
the server's RSS and CPU, how long its threads waited for a CPU, and the load generator's CPU,
which show whether the figures measure the server or a busy machine) and a short line on stderr.
Exits 1 if there was any error, the server logged a traceback or did not exit 0 on SIGTERM.
Linux (/proc) for the memory and CPU figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from corpus.index.build import build_index  # noqa: E402
from corpus.load import BUNDLED_CORPUS  # noqa: E402

EPISODE = "latent-space-devday-2025"
HANDSHAKE_VERSION = "2025-11-25"
MODERN_VERSION = "2026-07-28"
ENGLISH = [
    "Apps SDK", "agent builder", "what is the service health dashboard", "Databriks", '"prompt optimization"', "agent*",
    "Sora 2 API", "evals with third-party models", "ChatKit widgets", "codex", "realtime voice agents", "gpt-5 pro pricing",
]
KOREAN = [
    "에이전트 빌더", "챗킷", "코덱스", "스트라이프 체크아웃", "앱스 SDK를", "프롬프트 최적화", "소라", "평가", "음성 에이전트", "위젯",
]
SPEAKERS = ["sherwin", "셔윈", "christina", "크리스티나", "swyx", "alessio"]
LAUNCH_FILTERS: list[dict[str, Any]] = [{}, {"kind": "model"}, {"query": "챗킷"}, {"category": "agents"}, {"query": "sora"}]
TOOLS = ("search_transcript", "get_speaker_turns", "get_turn", "list_launches")
WEIGHTS = (5, 2, 2, 1)


def pick_call(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One tool call from the mix: half searches (English and Korean), then passages, speakers, launches."""
    tool = rng.choices(TOOLS, WEIGHTS)[0]
    if tool == "search_transcript":
        arguments: dict[str, Any] = {"query": rng.choice(ENGLISH if rng.random() < 0.55 else KOREAN), "limit": rng.choice([3, 5, 10])}
        if rng.random() < 0.3:
            arguments["language"] = rng.choice(["any", "en", "ko"])
        if rng.random() < 0.15:
            arguments["speaker"] = rng.choice(SPEAKERS)
        return tool, arguments
    if tool == "get_speaker_turns":
        arguments = {"speaker": rng.choice(SPEAKERS), "language": rng.choice(["en", "ko"]), "limit": rng.choice([5, 10, 20])}
        if rng.random() < 0.3:
            arguments |= {"start": "00:05:00", "end": "00:40:00"}
        return tool, arguments
    if tool == "get_turn":
        before, after = rng.randint(0, 2), rng.randint(0, 2)
        return tool, {"turn_id": f"{EPISODE}:{rng.randint(1, 140)}", "before": before, "after": after, "language": rng.choice(["en", "ko"])}
    return tool, dict(rng.choice(LAUNCH_FILTERS))


def classify(status: int, body: bytes) -> str | None:
    """None for a good tool result, else the kind of error."""
    if status != 200:
        return f"http {status}"
    try:
        answer = json.loads(body)
    except ValueError:
        return "not json"
    if not isinstance(answer, dict):
        return "not a json-rpc response"
    if "error" in answer:
        code = answer["error"].get("code") if isinstance(answer["error"], dict) else None
        return f"json-rpc {code}"
    result = answer.get("result")
    if not isinstance(result, dict):
        return "no result"
    if result.get("isError"):
        return "tool error"
    if not isinstance(result.get("structuredContent"), dict):
        return "no structured content"
    return None


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {tool: [] for tool in TOOLS})
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {detail[:300]}")


class Peer:
    """One client: its era's headers and request envelope."""

    def __init__(self, http: httpx.AsyncClient, url: str, era: str, number: int) -> None:
        self.http, self.url, self.era, self.number = http, url, era, number
        self.next_id = 0
        self.headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}

    async def start(self) -> None:
        """Handshake era: initialize, then the initialized notification, then the negotiated version on every request."""
        if self.era != "handshake":
            return
        client_info = {"name": f"http-load-{self.number}", "version": "1"}
        init = {"protocolVersion": HANDSHAKE_VERSION, "capabilities": {}, "clientInfo": client_info}
        answer = await self.http.post(self.url, content=self.message("initialize", init), headers=self.headers)
        answer.raise_for_status()
        version = answer.json()["result"]["protocolVersion"]
        notification = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
        (await self.http.post(self.url, content=notification, headers=self.headers)).raise_for_status()
        self.headers = {**self.headers, "mcp-protocol-version": version}

    def message(self, method: str, params: dict[str, Any]) -> str:
        self.next_id += 1
        if self.era == "modern":
            params = {**params, "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": f"http-load-{self.number}", "version": "1"},
            }}
        return json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})

    async def call(self, tool: str, arguments: dict[str, Any]) -> httpx.Response:
        headers = self.headers
        if self.era == "modern":
            headers = {**headers, "mcp-protocol-version": MODERN_VERSION, "mcp-method": "tools/call", "mcp-name": tool}
        body = self.message("tools/call", {"name": tool, "arguments": arguments})
        return await self.http.post(self.url, content=body, headers=headers)


async def client_loop(peer: Peer, deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    await peer.start()
    while time.perf_counter() < deadline:
        tool, arguments = pick_call(rng)
        started = time.perf_counter()
        try:
            answer = await peer.call(tool, arguments)
        except httpx.HTTPError as exc:
            tally.error(f"transport {type(exc).__name__}", f"{tool} {arguments}: {exc}")
            continue
        tally.latencies[tool].append(time.perf_counter() - started)
        kind = classify(answer.status_code, answer.content)
        if kind is not None:
            tally.error(kind, f"{tool} {arguments}: {answer.text}")


async def run_load(url: str, clients: int, seconds: float, era: str) -> tuple[Tally, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    tally = Tally()
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        warm = Peer(http, url, era, -1)
        await warm.start()
        for tool, arguments in [pick_call(random.Random(n)) for n in range(40)]:
            await warm.call(tool, arguments)  # opens the index, fills caches; not counted
        started = time.perf_counter()
        deadline = started + seconds
        peers = [Peer(http, url, era, n) for n in range(clients)]
        await asyncio.wait_for(asyncio.gather(*(client_loop(p, deadline, tally, n) for n, p in enumerate(peers))), seconds + 60)
        return tally, time.perf_counter() - started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int, key: str) -> float:
    """A /proc/PID/status memory line (VmRSS, VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def proc_run_delay_seconds(pid: int) -> float:
    """Time the process's threads spent runnable but waiting for a CPU (/proc/PID/task/*/schedstat).

    Large next to the CPU time when other processes compete for the cores: then the latency
    figures measure the machine's contention more than the server.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server did not answer /healthz in 60 s:\n{log.read_text()}")
        time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to send calls (default 60; 5 is a quick run)")
    parser.add_argument("--era", choices=["handshake", "modern"], default="handshake", help="protocol era of the requests")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="the server's (default INFO)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="http-load-") as folder:
        index, log = Path(folder) / "index.sqlite", Path(folder) / "server.log"
        build_index(BUNDLED_CORPUS, index)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PODCAST_CORPUS_INDEX": str(index)}
        env.pop("PODCAST_CORPUS_TOKEN", None)
        command = [sys.executable, "-m", "mcp_server", "--log-level", args.log_level, "serve", "--http", "--port", str(port)]
        with log.open("wb") as err:
            server = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_ready(base, server, log)
            rss_start, load_start = proc_status(server.pid, "VmRSS"), os.getloadavg()[0]
            cpu_server, cpu_self, waited = proc_cpu_seconds(server.pid), time.process_time(), proc_run_delay_seconds(server.pid)
            tally, elapsed = asyncio.run(run_load(f"{base}/mcp", args.clients, args.seconds, args.era))
            cpu_server, cpu_self = proc_cpu_seconds(server.pid) - cpu_server, time.process_time() - cpu_self
            waited = proc_run_delay_seconds(server.pid) - waited
            rss_end, rss_peak = proc_status(server.pid, "VmRSS"), proc_status(server.pid, "VmHWM")
            server.send_signal(signal.SIGTERM)
            exit_code = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        server_log = log.read_text(errors="replace")

    every = [t for tool in TOOLS for t in tally.latencies[tool]]
    calls = len(every) + sum(n for kind, n in tally.errors.items() if kind.startswith("transport"))
    errors = sum(tally.errors.values())
    tracebacks = server_log.count("Traceback")
    report = {
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "era": args.era,
        "server_log_level": args.log_level,
        "calls": calls,
        "throughput_per_s": round(calls / elapsed, 1),
        "latency_ms": {"p50": ms(percentile(every, 0.5)), "p90": ms(percentile(every, 0.9)), "p99": ms(percentile(every, 0.99)),
                       "max": ms(max(every, default=float("nan")))},
        "per_tool": {tool: {"calls": len(tally.latencies[tool]), "p50_ms": ms(percentile(tally.latencies[tool], 0.5)),
                            "p99_ms": ms(percentile(tally.latencies[tool], 0.99))} for tool in TOOLS},
        "errors": errors,
        "error_kinds": dict(tally.errors),
        "error_samples": tally.samples,
        "server_rss_mib": {"start": round(rss_start, 1), "end": round(rss_end, 1), "peak": round(rss_peak, 1)},
        "server_cpu_percent": round(100 * cpu_server / elapsed, 1),
        "server_cpu_ms_per_call": round(1000 * cpu_server / max(calls, 1), 2),
        "server_threads_waiting_for_cpu_percent": round(100 * waited / elapsed, 1),
        "load_generator_cpu_percent": round(100 * cpu_self / elapsed, 1),
        "server_exit_code": exit_code,
        "server_tracebacks": tracebacks,
        "cpus": os.cpu_count(),
        "loadavg_1min": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
    }
    sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(
        f"{calls} calls in {elapsed:.1f} s from {args.clients} clients: {calls / elapsed:.0f}/s, "
        f"p50 {ms(percentile(every, 0.5))} ms, p99 {ms(percentile(every, 0.99))} ms, {errors} errors, "
        f"server RSS {rss_end:.0f} MiB (peak {rss_peak:.0f}), server CPU {100 * cpu_server / elapsed:.0f}% "
        f"(its threads waited for a CPU {100 * waited / elapsed:.0f}% of the time, summed), generator CPU {100 * cpu_self / elapsed:.0f}%",
        file=sys.stderr,
    )
    return 1 if errors or tracebacks or exit_code != 0 else 0


if __name__ == "__main__":
    raise SystemExit(main())
