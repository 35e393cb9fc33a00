"""MCP server for the podcast corpus: the adapter, the transports and the CLI."""

from mcp_server.server import create_server

__all__ = ["create_server"]
__version__ = "0.1.0"
