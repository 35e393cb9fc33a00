"""Short tool errors for arguments that fail validation, and standard JSON-RPC errors for bad requests.

Requests the server cannot serve at all (an unknown tool or prompt, a prompt without its
required arguments, a cursor on a list the server never pages) are JSON-RPC errors -32602
(invalid params) whose message says what to send instead, logged as one line, never a
traceback (the SDK's default for a prompt is code 0 or -32603 with a traceback at ERROR).

The SDK reports a rejected call with pydantic's full `ValidationError` text: a header, one
block per failed check (a union argument fails once per member), the rejected input of each,
and a documentation link per block. Several bad arguments, or one that misses every member of
a union, make that kilobytes of text, and it echoes what the caller sent. `CorpusServer`
replaces it with one line per argument: its name, what was expected, and what was sent as a
type and a truncated repr, e.g.

    Error executing tool search_transcript: invalid arguments (see the tool's input schema)
    - limit: should be less than or equal to 50; got integer 1000000
    - start: should be a valid string or a valid integer; got array [1.5, 1.5, 1.5, ...]
"""

from __future__ import annotations

import logging
import reprlib
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
)
from pydantic import ValidationError
from pydantic_core import ErrorDetails

log = logging.getLogger(__name__)
MAX_PROBLEMS = 10  # lines; a tool has fewer arguments than this
MAX_LINE = 300  # characters per argument
MAX_EXPECTED = 160  # characters of what was expected
JSON_TYPES = {
    "str": "string", "int": "integer", "float": "number", "bool": "boolean", "NoneType": "null", "list": "array", "dict": "object"
}


def _repr_limits() -> reprlib.Repr:
    limits = reprlib.Repr()
    limits.maxlevel = 2
    limits.maxstring = limits.maxother = limits.maxlong = 40
    limits.maxlist = limits.maxtuple = limits.maxdict = limits.maxset = 3
    return limits


SHORT = _repr_limits()


def short_repr(value: Any) -> str:
    """Type (in JSON terms) and a bounded repr: never the whole of a 1 MB string."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else f"boolean {str(value).lower()}"
    kind = JSON_TYPES.get(type(value).__name__, type(value).__name__)
    try:
        shown = SHORT.repr(value)
    except ValueError:  # an int too long to print (sys.int_info.default_max_str_digits)
        shown = f"<{value.bit_length()} bits>" if isinstance(value, int) else "<unprintable>"
    return f"{kind} {shown}"


def _expected(errors: list[ErrorDetails]) -> str:
    """'should be X or Y' from pydantic's messages (one per union member), without repeats."""
    messages = list(dict.fromkeys(str(e["msg"]) for e in errors))
    if all(m.startswith("Input should be ") for m in messages):
        text = "should be " + " or ".join(m.removeprefix("Input should be ") for m in messages)
    elif len(messages) == 1 and errors[0]["type"] == "missing":
        text = "required"
    else:
        text = "; ".join(messages)
    return text if len(text) <= MAX_EXPECTED else text[: MAX_EXPECTED - 1] + "…"


def describe(tool: str, error: ValidationError) -> str:
    """The tool error text for arguments that failed validation: one bounded line per argument."""
    by_argument: dict[str, list[ErrorDetails]] = {}
    for detail in error.errors(include_url=False):
        loc = detail["loc"]
        by_argument.setdefault(str(loc[0]) if loc else "arguments", []).append(detail)
    lines = []
    for argument, errors in list(by_argument.items())[:MAX_PROBLEMS]:
        name = argument if len(argument) <= 40 else argument[:39] + "…"
        line = f"- {name}: {_expected(errors)}"
        if errors[0]["type"] != "missing":
            line += f"; got {short_repr(errors[0]['input'])}"
        lines.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…")
    if len(by_argument) > MAX_PROBLEMS:
        lines.append(f"- and {len(by_argument) - MAX_PROBLEMS} more")
    return f"Error executing tool {tool}: invalid arguments (see the tool's input schema)\n" + "\n".join(lines)


def invalid_params(message: str) -> MCPError:
    """A -32602 error the caller can act on; logged as one line."""
    log.info("invalid request: %s", message)
    return MCPError(INVALID_PARAMS, message)


def quoted(name: object) -> str:
    """A name the caller sent, quoted and cut short: a 1 MB name gives a short message."""
    text = repr(name)
    return text if len(text) <= 80 else text[:79] + "…"


def _no_cursor(params: PaginatedRequestParams | None, method: str, noun: str) -> None:
    if params is not None and params.cursor is not None:
        raise invalid_params(f"invalid cursor for {method}: this server lists every {noun} in one page and never returns a "
                             f"next cursor; call {method} without a cursor")


class CorpusServer(MCPServer):
    """`MCPServer` whose tool errors for invalid arguments are short (see `describe`), and whose
    unknown names, missing prompt arguments and list cursors are -32602 errors (see the module doc)."""

    async def _handle_list_tools(self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None) -> ListToolsResult:
        _no_cursor(params, "tools/list", "tool")
        return await super()._handle_list_tools(ctx, params)

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        _no_cursor(params, "resources/list", "resource")
        return await super()._handle_list_resources(ctx, params)

    async def _handle_list_resource_templates(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourceTemplatesResult:
        _no_cursor(params, "resources/templates/list", "resource template")
        return await super()._handle_list_resource_templates(ctx, params)

    async def _handle_list_prompts(self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None) -> ListPromptsResult:
        _no_cursor(params, "prompts/list", "prompt")
        return await super()._handle_list_prompts(ctx, params)

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        prompt = self._prompt_manager.get_prompt(name)
        if prompt is None:
            known = ", ".join(p.name for p in self._prompt_manager.list_prompts())
            raise invalid_params(f"unknown prompt {quoted(name)}; the prompts are: {known}")
        missing = [a.name for a in prompt.arguments or [] if a.required and a.name not in (arguments or {})]
        if missing:
            wanted = ", ".join(f"'{a.name}'" + ("" if a.required else " (optional)") for a in prompt.arguments or [])
            raise invalid_params(f"prompt '{name}' needs the argument{'s' * (len(missing) > 1)} {', '.join(missing)}; it takes {wanted}")
        return await super().get_prompt(name, arguments, context)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self._tool_manager.get_tool(name) is None:
            known = ", ".join(t.name for t in self._tool_manager.list_tools())
            raise invalid_params(f"unknown tool {quoted(name)}; the tools are: {known}")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # Only argument validation raises a plain ToolError caused by a ValidationError: a
            # ToolError from the tool body is wrapped again (its cause is that ToolError), and a
            # crash is an UnexpectedToolError.
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            raise ToolError(describe(name, cause)) from cause
