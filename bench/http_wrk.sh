#!/usr/bin/env bash
# HTTP throughput with wrk (C, one thread: a load generator much lighter than Python's), side by side:
# a bare MCPServer returning our answer (bench/canned_http.py), our server with 1 worker, with 2 workers.
#   bash bench/http_wrk.sh [SECONDS]        (needs wrk: apt-get install wrk)
# Prints requests/s, p50 and p99 at 16 and 32 connections for each. The same call repeated: our server
# answers it from its recent results after the first time, as it would a popular question.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-12}"
PY=.venv/bin/python
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export PODCAST_CORPUS_INDEX="$WORK/index.sqlite"
"$PY" -m mcp_server search warm >/dev/null 2>&1
"$PY" -m mcp_server --log-level WARNING serve --http --port 8801 2>/dev/null & SERVER=$!
sleep 4
"$PY" - "$WORK/canned.json" <<'PY'
import json, sys, urllib.request
samples = {"search_transcript": {"query": "Apps SDK", "limit": 5}, "get_speaker_turns": {"speaker": "sherwin", "limit": 10},
           "get_turn": {"turn_id": "latent-space-devday-2025:40", "before": 1, "after": 1}, "list_launches": {}}
out = {}
for number, (tool, arguments) in enumerate(samples.items(), 1):
    body = {"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    request = urllib.request.Request("http://127.0.0.1:8801/mcp", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    out[tool] = json.load(urllib.request.urlopen(request))["result"]
json.dump(out, open(sys.argv[1], "w"), ensure_ascii=False)
PY
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
measure() {  # NAME PORT COMMAND...
  local name=$1 port=$2; shift 2
  "$@" 2>/dev/null & local pid=$!
  sleep 5
  for connections in 16 32; do
    printf '%-32s %3d connections: ' "$name" "$connections"
    wrk -t1 -c"$connections" -d"${SECONDS_EACH}s" --latency -s bench/http_wrk.lua "http://127.0.0.1:$port/mcp" \
      | awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s req/s, p50 %s, p99 %s, non-2xx %s\n", rps, p50, p99, bad+0}'
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
measure "bare MCPServer, canned answer" 8802 env CANNED_RESULTS="$WORK/canned.json" "$PY" -m bench.canned_http 8802
measure "ours, 1 worker" 8803 "$PY" -m mcp_server --log-level WARNING serve --http --port 8803 --workers 1
measure "ours, 2 workers" 8804 "$PY" -m mcp_server --log-level WARNING serve --http --port 8804 --workers 2
