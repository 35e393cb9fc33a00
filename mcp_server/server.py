"""create_server(corpus) -> MCPServer. No module-level server object: each call builds one."""

from __future__ import annotations

from pathlib import Path

from mcp.server.mcpserver import MCPServer

from corpus.load import BUNDLED_CORPUS
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.tools import register_tools

INSTRUCTIONS = """\
A searchable podcast corpus: English transcripts, a Korean translation, and the product launches
the episodes discuss. Start with search_transcript (English or Korean, typos are fine), read a
passage with get_turn, follow one person with get_speaker_turns, and see the launches with
list_launches. Ids of speakers and episodes come from list_speakers and list_episodes."""


def create_server(
    corpus_dir: Path = BUNDLED_CORPUS,
    index_path: Path | None = None,
    *,
    handle: CorpusHandle | None = None,
) -> MCPServer:
    corpus = handle or CorpusHandle(corpus_dir, index_path)
    from mcp_server import __version__

    server = MCPServer(
        "podcast-corpus",
        title="Podcast corpus",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    register_tools(server, corpus)
    return server
