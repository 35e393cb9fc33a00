"""Where scripts/install_external.sh put Node 24 and the npm clients (read from .cache/node/env.sh)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from live_server import REPO

ENV_FILE = REPO / ".cache" / "node" / "env.sh"
INSTALL_HINT = "external clients not installed: run scripts/install_external.sh (CI runs it before the tests)"


@dataclass(frozen=True)
class NodeTools:
    node: Path
    conformance: Path
    inspector: Path


def find_node_tools() -> tuple[NodeTools | None, str]:
    """The installed tools, or None and the reason they are unusable."""
    if not ENV_FILE.is_file():
        return None, INSTALL_HINT
    values = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    tools = NodeTools(Path(values["NODE"]), Path(values["CONFORMANCE"]), Path(values["INSPECTOR"]))
    missing = [str(p) for p in (tools.node, tools.conformance, tools.inspector) if not p.is_file()]
    if missing:
        return None, f"{INSTALL_HINT} (missing: {', '.join(missing)})"
    return tools, ""
