#!/usr/bin/env bash
# Set up everything the tests need (venv, Python deps, Node 24 tools, Chromium) and run them all.
# Safe to run again: every step is idempotent. This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
for step in scripts/install_external.sh scripts/install_browser.sh; do
  if [ -f "$step" ]; then bash "$step"; fi
done

echo "== ruff" && .venv/bin/ruff check corpus mcp_server tests bench eval
echo "== mypy --strict" && .venv/bin/mypy
echo "== pytest" && .venv/bin/python -m pytest
echo "== search by meaning (the project's judged queries: fused, and words only)"
.venv/bin/python eval/search_eval.py eval/meaning_dev.json eval/meaning_holdout.json --min-mrr 0.5 -- .venv/bin/python -m mcp_server --log-level WARNING
if [ -f ../shared/eval/search_eval.py ]; then
  echo "== search quality (dev set)"
  .venv/bin/python ../shared/eval/search_eval.py ../shared/eval/dev_queries.json --min-mrr 0.9 -- .venv/bin/python -m mcp_server
fi
