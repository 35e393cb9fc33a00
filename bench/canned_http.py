"""The floor for bench/http_workers.py: a bare MCPServer over stateless streamable HTTP whose four
tools return, whatever the arguments, an answer our server gave (read from $CANNED_RESULTS), with
the same output models: the SDK's work per request, and none of ours.

    CANNED_RESULTS=results.json python -m bench.canned_http PORT
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from corpus.catalog import LaunchList
from corpus.search_result import SearchResult
from corpus.turns import Passage, SpeakerTurns

RESULTS: dict[str, Any] = {}
server = MCPServer("canned-http")


def _answer(tool: str) -> CallToolResult:
    return CallToolResult.model_validate(RESULTS[tool])


@server.tool()
def search_transcript(
    query: str, limit: int = 10, language: str = "any", speaker: str | None = None
) -> Annotated[CallToolResult, SearchResult]:
    """Returns a stored answer."""
    return _answer("search_transcript")


@server.tool()
def get_speaker_turns(
    speaker: str, language: str = "en", limit: int = 20, start: str | None = None, end: str | None = None
) -> Annotated[CallToolResult, SpeakerTurns]:
    """Returns a stored answer."""
    return _answer("get_speaker_turns")


@server.tool()
def get_turn(turn_id: str, before: int = 0, after: int = 0, language: str = "en") -> Annotated[CallToolResult, Passage]:
    """Returns a stored answer."""
    return _answer("get_turn")


@server.tool()
def list_launches(kind: str | None = None, category: str | None = None, query: str | None = None) -> Annotated[CallToolResult, LaunchList]:
    """Returns a stored answer."""
    return _answer("list_launches")


if __name__ == "__main__":
    RESULTS.update(json.loads(Path(os.environ["CANNED_RESULTS"]).read_text(encoding="utf-8")))
    app = server.streamable_http_app(stateless_http=True, json_response=True)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", timeout_keep_alive=120)
