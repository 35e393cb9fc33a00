"""The ChatGPT connector tools `search` and `fetch`: their exact shapes, in both protocol eras."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent

EPISODE = "latent-space-devday-2025"
pytestmark = pytest.mark.anyio


def only_json(result: CallToolResult) -> Any:
    assert not result.is_error, result.content
    assert len(result.content) == 1
    item = result.content[0]
    assert isinstance(item, TextContent)
    assert len(item.text) <= 20_000
    data = json.loads(item.text)
    assert result.structured_content == data
    return data


async def test_tools_are_listed_read_only(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("search", "fetch"):
        annotations = tools[name].annotations
        assert annotations is not None and annotations.read_only_hint is True
        assert tools[name].output_schema is not None
    assert list(tools["search"].input_schema["properties"]) == ["query"]
    assert list(tools["fetch"].input_schema["properties"]) == ["id"]


async def test_search_shape(client: Client) -> None:
    data = only_json(await client.call_tool("search", {"query": "agent builder"}))
    assert set(data) == {"results"}
    assert 0 < len(data["results"]) <= 10
    for item in data["results"]:
        assert set(item) == {"id", "title", "url"}
        assert item["id"].startswith(f"{EPISODE}:")
        assert item["url"].startswith("https://www.latent.space/p/devday-2025#t=")
        assert item["title"]


async def test_search_in_korean_finds_english_turns(client: Client) -> None:
    data = only_json(await client.call_tool("search", {"query": "에이전트 빌더"}))
    assert data["results"]


async def test_search_without_hits_is_empty(client: Client) -> None:
    assert only_json(await client.call_tool("search", {"query": "zyzzyvaqqq"})) == {"results": []}


async def test_fetch_shape(client: Client) -> None:
    hit = only_json(await client.call_tool("search", {"query": "agent evals"}))["results"][0]
    data = only_json(await client.call_tool("fetch", {"id": hit["id"]}))
    assert set(data) == {"id", "title", "text", "url", "metadata"}
    assert data["id"] == hit["id"] and data["url"] == hit["url"]
    assert data["metadata"]["episode_id"] == EPISODE
    assert data["metadata"]["uri"] == f"corpus://episodes/{EPISODE}/turns/{hit['id'].split(':')[1]}"


async def test_fetch_has_both_languages(client: Client) -> None:
    data = only_json(await client.call_tool("fetch", {"id": f"{EPISODE}:56"}))
    assert data["text"].startswith("Sherwin Wu [00:17:43] (en): I was going to say")
    assert "(ko) " in data["text"]
    assert data["metadata"]["speaker"] == "sherwin" and data["metadata"]["translated"] is True
    assert data["metadata"]["previous_turn_id"] == f"{EPISODE}:55"


@pytest.mark.parametrize("bad", ["nope", f"{EPISODE}:99999", "other-episode:1"])
async def test_fetch_unknown_id_is_a_tool_error(client: Client, bad: str) -> None:
    result = await client.call_tool("fetch", {"id": bad})
    assert result.is_error
    text = result.content[0]
    assert isinstance(text, TextContent) and "unknown turn" in text.text
