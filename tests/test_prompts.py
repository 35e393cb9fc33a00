"""Prompts and their argument completion through the in-memory client, in both protocol eras."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, TextContent

from mcp_server.prompts import PROMPT_NAMES

EPISODE = "latent-space-devday-2025"
pytestmark = pytest.mark.anyio


async def prompt_text(client: Client, name: str, arguments: dict[str, str]) -> str:
    result = await client.get_prompt(name, arguments)
    assert len(result.messages) == 1 and result.messages[0].role == "user"
    content = result.messages[0].content
    assert isinstance(content, TextContent)
    assert len(content.text) <= 20_000
    return content.text


async def test_lists_prompts_with_arguments(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(PROMPT_NAMES) <= set(prompts)
    args = {name: {(a.name, a.required) for a in prompts[name].arguments or []} for name in PROMPT_NAMES}
    assert args["speaker_on_topic"] == {("speaker", True), ("topic", True)}
    assert args["launch_briefing"] == {("language", False)}
    assert args["bilingual_passage"] == {("turn_id", True), ("context", False)}
    assert all(prompts[name].title and prompts[name].description for name in PROMPT_NAMES)


async def test_speaker_on_topic_in_korean(client: Client) -> None:
    text = await prompt_text(client, "speaker_on_topic", {"speaker": "셔윈", "topic": "Apps SDK"})
    assert 'What did Sherwin Wu say about "Apps SDK"' in text
    assert "Sherwin Wu [" in text and f"{EPISODE}:" in text


async def test_launch_briefing(client: Client) -> None:
    text = await prompt_text(client, "launch_briefing", {})
    assert "AgentKit" in text and "in English" in text
    assert "in Korean" in await prompt_text(client, "launch_briefing", {"language": "ko"})


async def test_bilingual_passage(client: Client) -> None:
    text = await prompt_text(client, "bilingual_passage", {"turn_id": f"{EPISODE}:56", "context": "1"})
    assert f"{EPISODE}:56 (the passage asked for)" in text
    assert f"{EPISODE}:55" in text and f"{EPISODE}:57" in text
    assert "EN Sherwin Wu:" in text and "KO 셔윈 우:" in text


async def test_bilingual_passage_marks_untranslated(client: Client) -> None:
    untranslated = None
    for ordinal in range(145):
        text = await prompt_text(client, "bilingual_passage", {"turn_id": f"{EPISODE}:{ordinal}", "context": "0"})
        if "번역 없음" in text:
            untranslated = text
            break
    assert untranslated is not None


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("speaker_on_topic", {"speaker": "Sherwn", "topic": "evals"}, "did you mean 'sherwin'"),
        ("bilingual_passage", {"turn_id": "nope"}, "unknown turn"),
        ("bilingual_passage", {"turn_id": f"{EPISODE}:1", "context": "9"}, "context must be"),
    ],
)
async def test_bad_arguments_say_how_to_fix(client: Client, name: str, arguments: dict[str, str], message: str) -> None:
    with pytest.raises(MCPError) as caught:
        await client.get_prompt(name, arguments)
    assert message in caught.value.error.message


async def test_completes_prompt_arguments(client: Client) -> None:
    topic = PromptReference(name="speaker_on_topic")
    speakers = (await client.complete(topic, {"name": "speaker", "value": "크"})).completion.values
    assert speakers and all(v.startswith("크") for v in speakers[:1])
    topics = (await client.complete(topic, {"name": "topic", "value": "agent"})).completion.values
    assert "AgentKit" in topics
    passage = PromptReference(name="bilingual_passage")
    assert (await client.complete(passage, {"name": "turn_id", "value": "lat"})).completion.values == [f"{EPISODE}:"]
    turns = (await client.complete(passage, {"name": "turn_id", "value": f"{EPISODE}:5"})).completion.values
    assert turns[0] == f"{EPISODE}:5" and f"{EPISODE}:56" in turns
    briefing = PromptReference(name="launch_briefing")
    assert (await client.complete(briefing, {"name": "language", "value": ""})).completion.values == ["en", "ko"]
