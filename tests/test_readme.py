"""The README documents every tool, resource, template, prompt and CLI command (sqlite-utils style)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from mcp import Client

from mcp_server.cli import build_parser
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_every_tool_resource_and_prompt_is_in_the_readme(handle: CorpusHandle) -> None:
    async with Client(create_server(handle=handle)) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        prompts = [p.name for p in (await client.list_prompts()).prompts]
    missing = [f"tool {n}" for n in tools if f"`{n}`" not in README]
    missing += [f"resource {u}" for u in resources if f"`{u}`" not in README]
    missing += [f"template {t}" for t in templates if f"`{t}`" not in README]
    missing += [f"prompt {n}" for n in prompts if f"`{n}`" not in README]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert [name for name in commands.choices if f"`{name}" not in README] == []


@pytest.mark.anyio
async def test_every_tool_argument_is_in_the_readme(handle: CorpusHandle) -> None:
    async with Client(create_server(handle=handle)) as client:
        tools = (await client.list_tools()).tools
    missing = [f"{t.name}({name})" for t in tools for name in t.input_schema.get("properties", {}) if f"`{name}`" not in README]
    assert missing == []
