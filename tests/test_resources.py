"""Resources, templates and completion through the in-memory client, in both protocol eras."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PromptReference, ResourceTemplateReference, TextResourceContents

from mcp_server.corpus_handle import CorpusHandle
from mcp_server.resources import (
    ARTICLE_TEMPLATE,
    EPISODE_TEMPLATE,
    PART_BUDGET,
    SPEAKER_TURNS_TEMPLATE,
    TRANSCRIPT_TEMPLATE,
    TURN_TEMPLATE,
)
from mcp_server.server import create_server

EPISODE = "latent-space-devday-2025"
pytestmark = pytest.mark.anyio


async def read(client: Client, uri: str) -> TextResourceContents:
    result = await client.read_resource(uri)
    assert len(result.contents) == 1
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    assert len(content.text) <= 20_000
    return content


async def test_lists_static_resources_and_templates(client: Client) -> None:
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {"corpus://episodes", "corpus://speakers", "corpus://launches"} <= uris
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert {EPISODE_TEMPLATE, TRANSCRIPT_TEMPLATE, ARTICLE_TEMPLATE, TURN_TEMPLATE, SPEAKER_TURNS_TEMPLATE} <= templates
    assert all(t.isascii() for t in templates)


async def test_episode_list_and_metadata(client: Client) -> None:
    listing = json.loads((await read(client, "corpus://episodes")).text)
    assert [e["id"] for e in listing["episodes"]] == [EPISODE]
    assert listing["episodes"][0]["transcripts"]["ko"] == f"corpus://episodes/{EPISODE}/transcript/ko"
    content = await read(client, f"corpus://episodes/{EPISODE}")
    assert content.mime_type == "application/json"
    meta = json.loads(content.text)
    assert meta["id"] == EPISODE and meta["languages"] == ["en", "ko"]
    assert {s["id"] for s in meta["speakers"]} == {"alessio", "swyx", "sherwin", "christina"}
    assert meta["resources"]["article"]["ko"] == f"corpus://episodes/{EPISODE}/article/ko"


async def test_transcript_parts_cover_every_turn(client: Client) -> None:
    uri = f"corpus://episodes/{EPISODE}/transcript/en"
    seen, part = [], 1
    while True:
        text = (await read(client, uri if part == 1 else f"{uri}?part={part}")).text
        assert len(text) <= PART_BUDGET + 400
        seen += [line for line in text.splitlines() if line.startswith("**")]
        if "_Continued in" not in text:
            break
        part += 1
        assert f"?part={part}" in text
    assert part > 1
    assert len(seen) == 145
    assert seen[0].startswith("**Alessio** [00:00:04]")


async def test_korean_transcript_marks_untranslated_turns(client: Client) -> None:
    text = (await read(client, f"corpus://episodes/{EPISODE}/transcript/ko")).text
    assert "**알레시오** [00:00:04]" in text
    assert "레이턴트 스페이스" in text
    everything = text
    part = 2
    while "_Continued in" in text:
        text = (await read(client, f"corpus://episodes/{EPISODE}/transcript/ko?part={part}")).text
        everything += text
        part += 1
    assert "_(번역 없음, 원문: en)_" in everything


async def test_articles_in_both_languages(client: Client) -> None:
    en = await read(client, f"corpus://episodes/{EPISODE}/article/en")
    assert en.mime_type == "text/markdown"
    assert "## AgentKit" in en.text
    ko = await read(client, f"corpus://episodes/{EPISODE}/article/ko")
    assert "조니 아이브" in ko.text


async def test_speakers_and_launches(client: Client) -> None:
    speakers = json.loads((await read(client, "corpus://speakers")).text)
    sherwin = next(s for s in speakers["speakers"] if s["id"] == "sherwin")
    assert sherwin["names"]["ko"] == "셔윈 우"
    assert sherwin["turns"]["ko"] == "corpus://speakers/sherwin/turns/ko"
    launches = json.loads((await read(client, "corpus://launches")).text)
    assert launches["total"] == len(launches["launches"]) > 5
    assert any(x["name"] == "AgentKit" for x in launches["launches"])


async def test_one_turn(client: Client) -> None:
    text = (await read(client, f"corpus://episodes/{EPISODE}/turns/56")).text
    assert text.startswith(f"**Sherwin Wu** [00:17:43] `{EPISODE}:56`")
    assert "agent evals" in text and "(ko)" in text


async def test_speaker_turns_by_korean_name(client: Client) -> None:
    text = (await read(client, f"corpus://speakers/{quote('셔윈')}/turns/ko")).text
    assert text.startswith("# 셔윈 우, Head of Engineering")
    assert f"`{EPISODE}:2`" in text


@pytest.mark.parametrize(
    "uri",
    [
        "corpus://episodes/no-such-episode",
        "corpus://episodes/no-such-episode/transcript/en",
        f"corpus://episodes/{EPISODE}/transcript/fr",
        f"corpus://episodes/{EPISODE}/transcript/en?part=99",
        f"corpus://episodes/{EPISODE}/article/fr",
        f"corpus://episodes/{EPISODE}/turns/9999",
        f"corpus://episodes/{EPISODE}/turns/abc",
        "corpus://speakers/nobody-at-all/turns/en",
        "corpus://nothing/here",
    ],
)
async def test_unknown_resources_are_not_found(client: Client, uri: str) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource(uri)
    assert caught.value.error.code == -32602


async def test_completes_template_arguments(client: Client) -> None:
    ref = ResourceTemplateReference(uri=TRANSCRIPT_TEMPLATE)
    assert (await client.complete(ref, {"name": "episode_id", "value": "late"})).completion.values == [EPISODE]
    assert (await client.complete(ref, {"name": "language", "value": "k"})).completion.values == ["ko"]
    speakers = ResourceTemplateReference(uri=SPEAKER_TURNS_TEMPLATE)
    assert "셔윈" in (await client.complete(speakers, {"name": "speaker", "value": "셔"})).completion.values
    assert "sherwin" in (await client.complete(speakers, {"name": "speaker", "value": "sh"})).completion.values
    everyone = (await client.complete(speakers, {"name": "speaker", "value": ""})).completion.values
    assert sorted(everyone[:4]) == ["alessio", "christina", "sherwin", "swyx"]
    turn = ResourceTemplateReference(uri=TURN_TEMPLATE)
    ordinals = await client.complete(turn, {"name": "ordinal", "value": "14"}, {"episode_id": EPISODE})
    assert ordinals.completion.values[:1] == ["14"] and "144" in ordinals.completion.values
    with pytest.raises(MCPError) as unknown:  # a prompt we do not have: invalid params (tests/test_protocol_errors.py)
        await client.complete(PromptReference(name="no-such-prompt"), {"name": "speaker", "value": ""})
    assert unknown.value.error.code == INVALID_PARAMS


async def test_list_results_carry_cache_hints(handle: CorpusHandle) -> None:
    async with Client(create_server(handle=handle)) as client:
        listed = await client.list_resources()
        assert listed.ttl_ms == 3_600_000 and listed.cache_scope == "public"
        read_back = await client.read_resource("corpus://speakers")
        assert read_back.ttl_ms and read_back.ttl_ms > 0
