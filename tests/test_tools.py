"""The tools through the SDK's in-memory client, in both protocol eras."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
CORE = {"search_transcript", "get_speaker_turns", "list_launches", "get_turn", "list_speakers", "list_episodes"}


@pytest.fixture(params=["modern", "legacy"])
async def client(request: pytest.FixtureRequest, handle: CorpusHandle) -> AsyncIterator[Client]:
    server = create_server(handle=handle)
    kwargs: dict[str, Any] = {"mode": "legacy"} if request.param == "legacy" else {}
    async with Client(server, **kwargs) as connected:
        yield connected


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_tools_are_listed_read_only_with_schemas(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= CORE
    for name in CORE:
        tool = tools[name]
        assert tool.title and tool.description
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.output_schema is not None
    limit = tools["search_transcript"].input_schema["properties"]["limit"]
    assert limit["minimum"] == 1 and limit["maximum"] == 50


async def test_search_transcript(client: Client) -> None:
    result = await client.call_tool("search_transcript", {"query": "Kakoa", "speaker": "Christina", "limit": 3})
    assert not result.is_error
    data = result.structured_content
    assert data is not None and data["total"] == 2
    hit = data["hits"][0]
    assert set(hit) >= {"turn_id", "episode_id", "ordinal", "speaker", "speaker_name", "start_seconds", "timestamp",
                        "language", "snippet", "translation", "uri", "url"}
    assert hit["speaker"] == "christina" and "**Kakao**" in hit["snippet"]
    assert data["corrections"][0]["corrected"] == "kakao"
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Christina Huang" in text and len(text) < 3000


async def test_get_speaker_turns(client: Client) -> None:
    result = await client.call_tool("get_speaker_turns", {"speaker": "셔윈", "language": "ko", "end": "00:05:00", "limit": 2})
    data = result.structured_content
    assert data is not None and not result.is_error
    assert data["speaker"]["id"] == "sherwin" and "셔윈" in data["speaker"]["aliases"]
    assert len(data["turns"]) == 2 and data["next_cursor"]
    assert data["turns"][0]["timestamp"] == "00:00:38" and data["turns"][0]["text"].startswith("네, 데브데이는")
    page2 = await client.call_tool("get_speaker_turns", {"speaker": "셔윈", "language": "ko", "end": "00:05:00", "limit": 2,
                                                         "cursor": data["next_cursor"]})
    assert page2.structured_content is not None
    assert page2.structured_content["turns"][0]["ordinal"] > data["turns"][-1]["ordinal"]


async def test_unknown_speaker_names_the_nearest(client: Client) -> None:
    result = await client.call_tool("get_speaker_turns", {"speaker": "Sherwn"})
    assert result.is_error
    assert "did you mean 'sherwin'" in result.content[0].text  # type: ignore[union-attr]


async def test_list_launches(client: Client) -> None:
    result = await client.call_tool("list_launches", {})
    data = result.structured_content
    assert data is not None
    by_id = {x["id"]: x for x in data["launches"]}
    assert len([x for x in data["launches"] if x["url"]]) == 8
    assert by_id["gpt-image-1-mini"]["note"] == "80% cheaper"
    assert by_id["chatkit"]["mentions"][0]["turn_id"].startswith("latent-space-devday-2025:")
    models = await client.call_tool("list_launches", {"kind": "model"})
    assert models.structured_content is not None and models.structured_content["total"] == 6
    korean = await client.call_tool("list_launches", {"query": "챗킷"})
    assert korean.structured_content is not None and korean.structured_content["launches"][0]["id"] == "chatkit"


async def test_get_turn_with_context(client: Client) -> None:
    result = await client.call_tool("get_turn", {"turn_id": "latent-space-devday-2025:61", "before": 1, "after": 1})
    data = result.structured_content
    assert data is not None and [t["ordinal"] for t in data["turns"]] == [60, 61, 62]
    assert data["turns"][1]["cut_off"] is True and data["turns"][2]["translation"] is None
    bad = await client.call_tool("get_turn", {"turn_id": "latent-space-devday-2025:9999"})
    assert bad.is_error and "no turn 9999" in bad.content[0].text  # type: ignore[union-attr]


async def test_list_speakers_and_episodes(client: Client) -> None:
    speakers = await client.call_tool("list_speakers", {})
    assert speakers.structured_content is not None and speakers.structured_content["total"] == 4
    episodes = await client.call_tool("list_episodes", {})
    data = episodes.structured_content
    assert data is not None and data["episodes"][0]["turns"] == 145
    assert data["episodes"][0]["languages"] == ["en", "ko"]


async def test_bad_arguments_are_tool_errors(client: Client) -> None:
    for name, args in [("search_transcript", {"query": "x", "limit": 0}), ("search_transcript", {"query": ""}),
                       ("search_transcript", {"query": "x", "cursor": "@@"}), ("get_speaker_turns", {"speaker": "swyx", "start": "soon"})]:
        result = await client.call_tool(name, args)
        assert result.is_error, (name, args)


async def test_a_search_asked_before_is_answered_without_a_thread_hop(handle: CorpusHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp_server import tools

    assert handle.inline is False  # as over HTTP: a new search runs in a worker thread
    hops: list[str] = []
    real = tools.to_thread.run_sync

    async def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append("hop")
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(tools.to_thread, "run_sync", counting)
    async with Client(create_server(handle=handle)) as connected:
        arguments = {"query": "Apps SDK", "limit": 3}
        first = await connected.call_tool("search_transcript", arguments)
        assert len(hops) == 1
        again = await connected.call_tool("search_transcript", arguments)
        assert len(hops) == 1 and again.structured_content == first.structured_content  # the kept result, on the loop
        await connected.call_tool("search_transcript", {**arguments, "limit": 4})  # another call: searched in a thread
        assert len(hops) == 2
