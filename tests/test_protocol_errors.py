"""Requests the server cannot serve get standard JSON-RPC errors, the same in both protocol eras:
one table of request -> code -> what the message says, and no traceback in the logs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PromptReference, ResourceTemplateReference

from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
EPISODE = "latent-space-devday-2025"

Call = Callable[[Client], Awaitable[Any]]
TABLE: list[tuple[str, Call, int, str]] = [
    ("prompt without a required argument", lambda c: c.get_prompt("speaker_on_topic", {"speaker": "sherwin"}), INVALID_PARAMS,
     "prompt 'speaker_on_topic' needs the argument topic; it takes 'speaker', 'topic'"),
    ("prompt without any argument", lambda c: c.get_prompt("bilingual_passage", {}), INVALID_PARAMS, "needs the argument turn_id"),
    ("unknown prompt", lambda c: c.get_prompt("nope", {}), INVALID_PARAMS, "unknown prompt 'nope'; the prompts are: speaker_on_topic"),
    ("unknown tool", lambda c: c.call_tool("nope", {}), INVALID_PARAMS, "unknown tool 'nope'; the tools are: search_transcript"),
    ("unknown resource", lambda c: c.read_resource("corpus://nope"), INVALID_PARAMS, "corpus://nope"),
    ("unknown episode in a template", lambda c: c.read_resource("corpus://episodes/nope"), INVALID_PARAMS, "nope"),
    ("completion for an unknown prompt",
     lambda c: c.complete(PromptReference(type="ref/prompt", name="nope"), {"name": "topic", "value": ""}), INVALID_PARAMS,
     "completion for an unknown prompt 'nope'"),
    ("completion for an unknown template",
     lambda c: c.complete(ResourceTemplateReference(type="ref/resource", uri="corpus://nope/{x}"), {"name": "x", "value": ""}),
     INVALID_PARAMS, "completion for an unknown resource template"),
    ("tools/list with a cursor", lambda c: c.list_tools(cursor="abc"), INVALID_PARAMS, "call tools/list without a cursor"),
    ("resources/list with a cursor", lambda c: c.list_resources(cursor="abc"), INVALID_PARAMS, "call resources/list without a cursor"),
    ("resources/templates/list with a cursor", lambda c: c.list_resource_templates(cursor="abc"), INVALID_PARAMS,
     "call resources/templates/list without a cursor"),
    ("prompts/list with a cursor", lambda c: c.list_prompts(cursor="abc"), INVALID_PARAMS, "call prompts/list without a cursor"),
]


@pytest.mark.parametrize(("case", "call", "code", "says"), TABLE, ids=[row[0] for row in TABLE])
async def test_bad_requests_get_standard_errors(
    client: Client, caplog: pytest.LogCaptureFixture, case: str, call: Call, code: int, says: str
) -> None:
    with caplog.at_level(logging.INFO), pytest.raises(MCPError) as refused:
        await call(client)
    assert refused.value.error.code == code
    assert says in refused.value.error.message
    assert not [r for r in caplog.records if r.exc_info], f"{case} logged a traceback"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 0


async def test_good_requests_still_work(client: Client) -> None:
    prompt = await client.get_prompt("bilingual_passage", {"turn_id": f"{EPISODE}:3"})
    assert prompt.messages
    assert (await client.list_tools()).tools
    done = await client.complete(PromptReference(type="ref/prompt", name="speaker_on_topic"), {"name": "speaker", "value": "sh"})
    assert "sherwin" in done.completion.values


async def test_both_eras_advertise_what_the_server_does(handle: CorpusHandle) -> None:
    """Nothing the server lists changes while it serves, and nothing can be subscribed to: both eras say so."""
    found = {}
    for mode in ("legacy", "auto"):
        async with Client(create_server(handle=handle), mode=mode) as connected:
            caps = connected.server_capabilities
            assert caps is not None and caps.tools and caps.prompts and caps.resources
            found[mode] = (caps.tools.list_changed, caps.prompts.list_changed, caps.resources.list_changed, caps.resources.subscribe)
    assert found["legacy"] == found["auto"] == (False, False, False, False)


async def test_transcript_parts_keep_their_documented_size(client: Client) -> None:
    """README: parts are at most 18,000 characters, header and link to the next part included."""
    for base in (f"corpus://episodes/{EPISODE}/transcript/en", f"corpus://episodes/{EPISODE}/transcript/ko",
                 "corpus://speakers/sherwin/turns/en"):
        part, sizes = 1, []
        while True:
            text = (await client.read_resource(base if part == 1 else f"{base}?part={part}")).contents[0].text  # type: ignore[union-attr]
            sizes.append(len(text))
            if "_Continued in " not in text:
                break
            part += 1
        assert len(sizes) > 1 and max(sizes) <= 18_000, (base, sizes)
