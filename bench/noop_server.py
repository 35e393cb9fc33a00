"""The baseline for bench/startup.py: a bare MCPServer with one no-op tool, served over stdio.

    python -m bench.noop_server
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("noop")


@server.tool()
def noop(query: str = "") -> str:
    """Does nothing."""
    return "ok"


if __name__ == "__main__":
    server.run(transport="stdio")
