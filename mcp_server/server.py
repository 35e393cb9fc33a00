"""create_server(corpus) -> MCPServer. No module-level server object: each call builds one."""

from __future__ import annotations

from pathlib import Path

from mcp.server.caching import CacheHint
from mcp.server.mcpserver import MCPServer
from mcp_types.methods import CacheableMethod

from corpus.locations import BUNDLED_CORPUS
from mcp_server.apps import apps_extension
from mcp_server.completions import register_completions
from mcp_server.connectors import register_connectors
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.invalid_arguments import CorpusServer
from mcp_server.prompts import register_prompts
from mcp_server.resources import register_resources
from mcp_server.tools import register_tools

INSTRUCTIONS = """\
A searchable podcast corpus: English transcripts, a Korean translation, and the product launches
the episodes discuss. Start with search_transcript (English or Korean, typos are fine), read a
passage with get_turn, follow one person with get_speaker_turns, and see the launches with
list_launches. Ids of speakers and episodes come from list_speakers and list_episodes."""

# The corpus changes only on ingest (and a server serves one index), so what the server
# offers and what a resource holds stay fresh for an hour; the data is public, so shared
# caches may keep it.
LIST_TTL_MS = 60 * 60 * 1000
READ_TTL_MS = 60 * 60 * 1000
CACHE_HINTS: dict[CacheableMethod, CacheHint] = {
    "server/discover": CacheHint(ttl_ms=LIST_TTL_MS, scope="public"),
    "tools/list": CacheHint(ttl_ms=LIST_TTL_MS, scope="public"),
    "prompts/list": CacheHint(ttl_ms=LIST_TTL_MS, scope="public"),
    "resources/list": CacheHint(ttl_ms=LIST_TTL_MS, scope="public"),
    "resources/templates/list": CacheHint(ttl_ms=LIST_TTL_MS, scope="public"),
    "resources/read": CacheHint(ttl_ms=READ_TTL_MS, scope="public"),
}


def create_server(
    corpus_dir: Path = BUNDLED_CORPUS,
    index_path: Path | None = None,
    *,
    handle: CorpusHandle | None = None,
) -> MCPServer:
    corpus = handle or CorpusHandle(corpus_dir, index_path)
    from mcp_server import __version__

    server = CorpusServer(  # an MCPServer whose errors for invalid arguments are short
        "podcast-corpus",
        title="Podcast corpus",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        cache_hints=CACHE_HINTS,
        extensions=[apps_extension()],
        subscriptions=False,  # the lists and resources never change while serving: nothing to subscribe to
    )
    register_tools(server, corpus)
    register_connectors(server, corpus)
    register_resources(server, corpus)
    register_prompts(server, corpus)
    register_completions(server, corpus)
    return server
