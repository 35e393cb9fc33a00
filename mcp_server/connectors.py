"""`search` and `fetch`: the two tools ChatGPT connectors and deep research call.

`search(query)` answers one text item holding `{"results": [{"id", "title", "url"}]}` and
`fetch(id)` one text item holding `{"id", "title", "text", "url", "metadata"}`; the same
object is the structured content. Ids are turn ids; every url is a link to the episode
at the turn's time (or the turn's resource URI when the episode has no page).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from corpus import turns
from corpus.errors import CorpusError
from corpus.snippets import shorten
from mcp_server.corpus_handle import CorpusHandle

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False, destructive_hint=False)
SEARCH_LIMIT = 10


class SearchItem(BaseModel):
    id: str = Field(description="A turn id; pass it to fetch.")
    title: str
    url: str


class SearchResults(BaseModel):
    results: list[SearchItem]


class Document(BaseModel):
    id: str
    title: str
    text: str
    url: str
    metadata: dict[str, Any]


def _json_result(model: BaseModel) -> CallToolResult:
    data = model.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, ensure_ascii=False))], structured_content=data)


def register_connectors(mcp: MCPServer, corpus: CorpusHandle) -> None:
    @mcp.tool(title="Search (connector)", annotations=READ_ONLY)
    def search(
        query: Annotated[str, Field(description="What to look for, in English or Korean.")],
    ) -> Annotated[CallToolResult, SearchResults]:
        """Search the podcast transcripts (English and Korean) for ChatGPT connectors and deep research.

        Returns up to 10 turns as {"results": [{"id", "title", "url"}]}; pass an id to fetch for the full text.
        Other clients should prefer search_transcript, which filters and pages.
        """
        try:
            result = corpus.searcher.search(query, limit=SEARCH_LIMIT)
        except CorpusError as exc:
            raise ToolError(str(exc)) from exc
        items = []
        for hit in result.hits:
            episode = corpus.store.episodes[hit.episode_id]
            snippet = shorten(hit.snippet.replace("**", ""), 90)
            items.append(
                SearchItem(id=hit.turn_id, title=f"{hit.speaker_name} [{hit.timestamp}], {episode.title}: {snippet}", url=hit.url)
            )
        return _json_result(SearchResults(results=items))

    @mcp.tool(title="Fetch (connector)", annotations=READ_ONLY)
    def fetch(
        id: Annotated[str, Field(description="A turn id from search, e.g. 'latent-space-devday-2025:56'.")],
    ) -> Annotated[CallToolResult, Document]:
        """Fetch one turn of the podcast by id (from search): its full text in English and Korean, with speaker and time.

        Returns {"id", "title", "text", "url", "metadata"}; the url links to the episode at that moment.
        """
        try:
            passage = turns.get_passage(corpus.store, id.strip(), before=1, after=1, language="en")
        except CorpusError as exc:
            raise ToolError(str(exc)) from exc
        store = corpus.store
        episode = store.episodes[passage.episode_id]
        turn = next(t for t in passage.turns if t.turn_id == passage.turn_id)
        speaker = store.speakers.get(turn.speaker)
        name = speaker.name if speaker else turn.speaker
        other = "ko" if turn.language == "en" else "en"
        text = f"{name} [{turn.timestamp}] ({turn.language}): {turn.text}"
        if turn.translation:
            text += f"\n\n({other}) {turn.translation}"
        ordinals = [t.ordinal for t in passage.turns]
        metadata: dict[str, Any] = {
            "episode_id": episode.id,
            "episode_title": episode.title,
            "speaker": turn.speaker,
            "speaker_name": name,
            "speaker_role": speaker.role if speaker else None,
            "timestamp": turn.timestamp,
            "start_seconds": turn.start_seconds,
            "language": turn.language,
            "translated": turn.translation is not None,
            "uri": turn.uri,
            "previous_turn_id": f"{episode.id}:{turn.ordinal - 1}" if turn.ordinal - 1 in ordinals else None,
            "next_turn_id": f"{episode.id}:{turn.ordinal + 1}" if turn.ordinal + 1 in ordinals else None,
        }
        document = Document(id=turn.turn_id, title=f"{name} at {turn.timestamp}, {episode.title}", text=text, url=turn.url,
                            metadata=metadata)
        return _json_result(document)
