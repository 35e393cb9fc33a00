"""The floor for bench/hybrid_stdio.py: a bare MCPServer whose `search_transcript` returns answers
computed beforehand (the very results our server gives), with the same output model, over stdio.

    CANNED_ANSWERS=answers.json python -m bench.canned_server
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer

from corpus.search_result import SearchResult

ANSWERS: dict[str, Any] = {}
server = MCPServer("canned")


def answer_key(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, ensure_ascii=False)


@server.tool()
def search_transcript(
    query: str, limit: int = 10, language: str = "any", speaker: str | None = None, start: str | None = None, end: str | None = None
) -> SearchResult:
    """Returns the stored answer to these arguments."""
    arguments: dict[str, Any] = {"query": query, "limit": limit}
    for name, value in (("language", language), ("speaker", speaker), ("start", start), ("end", end)):
        if value is not None and not (name == "language" and value == "any"):
            arguments[name] = value
    return SearchResult.model_validate(ANSWERS[answer_key(arguments)])


if __name__ == "__main__":
    ANSWERS.update(json.loads(Path(os.environ["CANNED_ANSWERS"]).read_text(encoding="utf-8")))
    server.run(transport="stdio")
