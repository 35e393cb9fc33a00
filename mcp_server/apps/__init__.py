"""The MCP Apps view (extension `io.modelcontextprotocol/ui`) for the transcript tools.

One self-contained HTML document, `transcript_view.html` beside this file, is served as the
`ui://` resource below with MIME type `text/html;profile=mcp-app` and an empty network policy:
it loads nothing and connects nowhere; everything it shows arrives over the host's `ui/*`
postMessage bridge, and it reads more (context, next page) by asking the host for `tools/call`.

`search_transcript`, `get_speaker_turns` and `get_turn` carry `TOOL_META` so Apps hosts render
their results with the view. Clients without Apps ignore `_meta` and read the text content the
tools have always returned.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any, Final

from mcp.server.apps import APP_MIME_TYPE, Apps, ResourceCsp
from mcp.server.mcpserver.resources import TextResource

VIEW_URI: Final = "ui://podcast-corpus/transcript-view.html"
VIEW_FILE: Final = "transcript_view.html"

# No domain is declared, so the host allows no network access at all (connect-src 'none', no
# external scripts, styles, fonts, images or frames). ChatGPT reads its own alias of the same.
_CSP: Final = ResourceCsp(connect_domains=[], resource_domains=[], frame_domains=[])
_OPENAI_CSP: Final[dict[str, list[str]]] = {"connect_domains": [], "resource_domains": []}

TOOL_META: Final[dict[str, Any]] = {
    "ui": {"resourceUri": VIEW_URI},
    # ChatGPT's older key for the same resource, and its permission for the view to call tools.
    "openai/outputTemplate": VIEW_URI,
    "openai/widgetAccessible": True,
}
"""`_meta` for the tools whose results the view renders."""


@cache
def view_html() -> str:
    """The view's HTML, read from the installed package."""
    return files(__package__).joinpath(VIEW_FILE).read_text(encoding="utf-8")


def view_resource() -> TextResource:
    """The `ui://` resource: the HTML with its CSP and border preference in `_meta`."""
    return TextResource(
        uri=VIEW_URI,
        name="transcript_view",
        title="Transcript view",
        description="Cards for search hits, a speaker's turns and passages, with context on click.",
        mime_type=APP_MIME_TYPE,
        meta={
            "ui": {"csp": _CSP.model_dump(by_alias=True, exclude_none=True), "prefersBorder": True},
            "openai/widgetCSP": _OPENAI_CSP,
            "openai/widgetPrefersBorder": True,
            "openai/widgetDescription": "Shows transcript search results and passages as cards.",
        },
        text=view_html(),
    )


def apps_extension() -> Apps:
    """The Apps extension for `MCPServer(extensions=[...])`: the view resource, and the
    `io.modelcontextprotocol/ui` capability advertised to clients. The tools themselves are
    registered by `mcp_server.tools` with `meta=TOOL_META`."""
    apps = Apps()
    apps.add_resource(view_resource())
    return apps
