"""Drive a packaged server (wheel, uvx, MCPB bundle) over stdio and check that it serves the bundled corpus."""

from __future__ import annotations

from mcp import Client, StdioServerParameters
from mcp_types import TextResourceContents

EXPECTED_TOOLS = [
    "search_transcript", "get_speaker_turns", "get_turn", "list_launches", "list_speakers", "list_episodes", "search", "fetch",
]
VIEW = "ui://podcast-corpus/transcript-view.html"


async def drive(params: StdioServerParameters) -> None:
    async with Client(params) as client:
        assert sorted(t.name for t in (await client.list_tools()).tools) == sorted(EXPECTED_TOOLS)
        result = await client.call_tool("search_transcript", {"query": "AgentKit", "limit": 2})
        assert not result.is_error
        assert result.structured_content is not None
        hits = result.structured_content["hits"]
        assert hits and hits[0]["episode_id"] == "latent-space-devday-2025"
        view = (await client.read_resource(VIEW)).contents[0]
        assert isinstance(view, TextResourceContents) and "<html" in view.text.lower()
