"""The MCP Apps view without a browser: the ui:// resource, the tools' _meta, and that every
client, Apps or not, still gets valid tool lists and readable text results."""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest
from mcp import Client
from mcp_types import TextResourceContents

from corpus.search_result import SearchResult
from corpus.turns import Passage, SpeakerTurns
from mcp_server.apps import VIEW_URI, view_html
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

UI_TOOLS = {"search_transcript", "get_speaker_turns", "get_turn"}
MODES: list[Literal["legacy"] | None] = [None, "legacy"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(handle: CorpusHandle, mode: Literal["legacy"] | None) -> Client:
    server = create_server(handle=handle)
    return Client(server, mode=mode) if mode else Client(server)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_tool_list_carries_the_view_and_stays_valid(handle: CorpusHandle, mode: Literal["legacy"] | None) -> None:
    async with _client(handle, mode) as client:
        tools = (await client.list_tools()).tools
        if mode is None:  # extensions are advertised from the 2026-07-28 revision on
            assert "io.modelcontextprotocol/ui" in (client.server_capabilities.extensions or {})
    by_name = {t.name: t for t in tools}
    assert set(by_name) >= UI_TOOLS
    for name, tool in by_name.items():
        assert tool.input_schema["type"] == "object"
        assert tool.description
        if name in UI_TOOLS:
            assert tool.meta is not None
            assert tool.meta["ui"] == {"resourceUri": VIEW_URI}
            assert tool.meta["openai/outputTemplate"] == VIEW_URI
            assert tool.output_schema is not None
        else:
            assert not (tool.meta or {}).get("ui"), f"{name} is not bound to the view"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_view_resource_is_self_contained_html(handle: CorpusHandle, mode: Literal["legacy"] | None) -> None:
    async with _client(handle, mode) as client:
        read = await client.read_resource(VIEW_URI)
    [content] = read.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "text/html;profile=mcp-app"
    assert content.text == view_html()
    assert content.meta is not None
    csp: dict[str, Any] = content.meta["ui"]["csp"]
    assert csp and all(domains == [] for domains in csp.values()), "no network access declared"
    assert content.meta["openai/widgetCSP"] == {"connect_domains": [], "resource_domains": []}


def test_view_html_loads_nothing_and_injects_no_markup() -> None:
    html = view_html()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", html, re.I), "no external resources"
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket|EventSource", html)
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(", html)
    assert "connect-src 'none'" in html
    assert 'aria-live="polite"' in html and "prefers-color-scheme: dark" in html


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_ui_tools_still_answer_in_text(handle: CorpusHandle, mode: Literal["legacy"] | None) -> None:
    async with _client(handle, mode) as client:
        search = await client.call_tool("search_transcript", {"query": "agent kit", "limit": 3})
        speaker = await client.call_tool("get_speaker_turns", {"speaker": "christina", "limit": 2})
        hit_id = SearchResult.model_validate(search.structured_content).hits[0].turn_id
        passage = await client.call_tool("get_turn", {"turn_id": hit_id, "before": 2, "after": 2})

    found = SearchResult.model_validate(search.structured_content)
    turns = SpeakerTurns.model_validate(speaker.structured_content)
    around = Passage.model_validate(passage.structured_content)
    for result in (search, speaker, passage):
        assert not result.is_error
        [item] = result.content
        assert item.type == "text"
        assert not item.text.lstrip().startswith("{"), "readable text, not a JSON dump"
    search_text = search.content[0].text  # type: ignore[union-attr]
    for hit in found.hits:
        assert hit.speaker_name in search_text and hit.timestamp in search_text
    speaker_text = speaker.content[0].text  # type: ignore[union-attr]
    assert turns.speaker.name in speaker_text
    passage_text = passage.content[0].text  # type: ignore[union-attr]
    assert len(around.turns) == 5
    assert all(t.timestamp in passage_text for t in around.turns)
