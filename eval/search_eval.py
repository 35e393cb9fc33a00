"""Judged queries against a running MCP server over stdio, each search mode side by side.

    python eval/search_eval.py eval/meaning_dev.json [more.json ...] [--modes auto,words,meaning]
        [--min-mrr X] -- .venv/bin/python -m mcp_server

Calls `search_transcript` once per query and mode (limit 10) and prints MRR@10 and hit@1 per
class and mode. A hit is judged relevant by speaker and start time, as in the shared harness.
With --min-mrr, exits 1 when the first mode's overall MRR@10 is below it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters


def _seconds(timestamp: str) -> int:
    hours, minutes, seconds = (int(part) for part in timestamp.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def reciprocal_rank(hits: list[dict[str, Any]], relevant: list[dict[str, Any]]) -> float:
    wanted = {(r["speaker"], _seconds(r["timestamp"])) for r in relevant}
    for rank, hit in enumerate(hits[:10], 1):
        if (hit["speaker"], hit["start_seconds"]) in wanted:
            return 1.0 / rank
    return 0.0


async def evaluate(queries: list[dict[str, Any]], modes: list[str], command: list[str]) -> dict[str, dict[str, list[float]]]:
    scores: dict[str, dict[str, list[float]]] = {mode: {} for mode in modes}
    async with Client(StdioServerParameters(command=command[0], args=command[1:]), read_timeout_seconds=120) as client:
        for query in queries:
            for mode in modes:
                args = {"query": query["query"], "limit": 10, "mode": mode, **query.get("args", {})}
                result = await client.call_tool("search_transcript", args)
                data = result.structured_content or {}
                rank = 0.0 if result.is_error else reciprocal_rank(data.get("hits", []), query["relevant"])
                scores[mode].setdefault(query["category"], []).append(rank)
    return scores


def main() -> int:
    argv = sys.argv[1:]
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--modes", default="auto,words")
    parser.add_argument("--min-mrr", type=float, default=None)
    options = parser.parse_args(argv[:split])
    queries = [q for path in options.files for q in json.loads(path.read_text(encoding="utf-8"))]
    modes = options.modes.split(",")
    scores = anyio.run(evaluate, queries, modes, argv[split + 1 :])
    categories = list(dict.fromkeys(q["category"] for q in queries))
    print(f"{'class':15s}" + "".join(f"{mode:>18s}" for mode in modes))
    for category in categories:
        cells = []
        for mode in modes:
            ranks = scores[mode][category]
            cells.append(f"{statistics.mean(ranks):.3f} ({sum(r == 1.0 for r in ranks)}/{len(ranks)})")
        print(f"{category:15s}" + "".join(f"{cell:>18s}" for cell in cells))
    overall = {mode: statistics.mean(r for ranks in scores[mode].values() for r in ranks) for mode in modes}
    print(f"{'MRR@10':15s}" + "".join(f"{overall[mode]:>18.3f}" for mode in modes) + f"   over {len(queries)} queries")
    if options.min_mrr is not None and overall[modes[0]] < options.min_mrr:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
