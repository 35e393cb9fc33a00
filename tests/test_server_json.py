"""`server.json` for the official MCP registry: valid against the registry's published schema, and in step
with the package (name, version), the README's `mcp-name:` line and the command line it describes.

The schema is the registry's 2025-12-11 release (https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json)
as shipped, byte for byte with its provenance, in the PyPI package `skillsaw` (pinned in the dev extra).
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from importlib import resources
from typing import Any

import jsonschema
import pytest
from live_server import REPO

from mcp_server.cli import build_parser

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
SERVER = json.loads((REPO / "server.json").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(resources.files("skillsaw.schemas.mcp_registry.v2025_12_11").joinpath("server.schema.json").read_text("utf-8"))
    assert schema["$id"] == SCHEMA_URL
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_server_json_is_valid_against_the_registry_schema(validator: jsonschema.Draft7Validator) -> None:
    assert SERVER["$schema"] == SCHEMA_URL
    assert [error.message for error in validator.iter_errors(SERVER)] == []


@pytest.mark.parametrize("breakage", ["latest version", "no transport", "two slashes", "long description"])
def test_the_schema_check_would_catch_a_broken_entry(validator: jsonschema.Draft7Validator, breakage: str) -> None:
    broken: dict[str, Any] = copy.deepcopy(SERVER)
    if breakage == "latest version":
        broken["packages"][0]["version"] = "latest"
    elif breakage == "no transport":
        del broken["packages"][0]["transport"]
    elif breakage == "two slashes":
        broken["name"] = "io.github/a/b"
    else:
        broken["description"] = "x" * 101
    assert not validator.is_valid(broken)


def test_name_version_and_package_match_the_project() -> None:
    assert SERVER["version"] == PROJECT["version"]
    for package in SERVER["packages"]:
        assert (package["registryType"], package["identifier"], package["version"]) == ("pypi", PROJECT["name"], PROJECT["version"])
    assert {p["transport"]["type"] for p in SERVER["packages"]} == {"stdio", "streamable-http"}


def test_readme_carries_the_mcp_name_line_the_registry_checks() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"mcp-name: (\S+)", readme) == [SERVER["name"]]


def _argv(package: dict[str, Any]) -> list[str]:
    argv: list[str] = []
    for argument in package.get("packageArguments", []):
        value = argument.get("value", argument.get("default"))
        if argument["type"] == "positional":
            argv.append(value)
        elif value is not None:
            argv += [argument["name"], value]
        else:
            argv += [argument["name"], "/some/folder"]  # the client asks the user for it
    return argv


@pytest.mark.parametrize("package", SERVER["packages"], ids=lambda p: p["transport"]["type"])
def test_package_arguments_are_a_command_line_the_server_takes(package: dict[str, Any]) -> None:
    args = build_parser().parse_args(_argv(package))
    assert args.command == "serve"
    assert args.http == (package["transport"]["type"] == "streamable-http")
    if args.http:
        assert package["transport"]["url"].replace("{port}", str(args.port)) == f"http://127.0.0.1:{args.port}/mcp"
