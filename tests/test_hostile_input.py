"""Hostile input for every tool, through the MCP client (property-based).

Whatever arrives (random Unicode, FTS5 syntax, control characters, 1 MB strings,
out-of-range numbers, forged or stale cursors, unknown ids, wrong types, unknown
arguments), a call ends in a result that matches the tool's output model or in
a tool error (`is_error`) whose message says what was wrong: never a protocol
error, never a bare "Error executing tool X" (an unexpected exception), never a
stack trace, and nothing logged with a traceback.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent
from pydantic import BaseModel

from corpus.catalog import EpisodeList, LaunchList, SpeakerList
from corpus.cursor import encode_cursor
from corpus.locations import BUNDLED_CORPUS
from corpus.search_result import SearchResult
from corpus.turns import Passage, SpeakerTurns
from mcp_server.connectors import Document, SearchResults
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

MODELS: dict[str, type[BaseModel]] = {
    "search_transcript": SearchResult,
    "get_speaker_turns": SpeakerTurns,
    "get_turn": Passage,
    "list_launches": LaunchList,
    "list_speakers": SpeakerList,
    "list_episodes": EpisodeList,
    "search": SearchResults,
    "fetch": Document,
}
EPISODE = "latent-space-devday-2025"
MB = 1 << 20
MAX_MESSAGE = 2000  # argument-validation errors are one bounded line per argument (mcp_server/invalid_arguments.py)
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


class _Tracebacks(logging.Handler):
    """Collects every log record that carries an exception (a tool that blew up)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is not None and record.exc_info[0] is not None:
            self.records.append(record)


class Caller:
    """One in-process MCP client kept open in a background event loop for the whole module."""

    def __init__(self, portal: BlockingPortal, client: Client, tracebacks: _Tracebacks) -> None:
        self.portal = portal
        self.client = client
        self.tracebacks = tracebacks

    def raw(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        return self.portal.call(self.client.call_tool, name, arguments)

    def __call__(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        before = len(self.tracebacks.records)
        result = self.raw(name, arguments)
        check(name, arguments, result)
        logged = self.tracebacks.records[before:]
        assert not logged, f"{name}({_short(arguments)}) logged a traceback: {logged[0].getMessage()}"
        return result


def _short(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r:.60}" for k, v in arguments.items())


def error_text(result: CallToolResult) -> str:
    assert result.content and isinstance(result.content[0], TextContent)
    return result.content[0].text


def check(name: str, arguments: dict[str, Any], result: CallToolResult) -> None:
    where = f"{name}({_short(arguments)})"
    if result.is_error:
        message = error_text(result)
        assert message.strip(), f"{where}: empty error message"
        assert message.strip() != f"Error executing tool {name}", f"{where}: unexpected exception inside the tool"
        assert "Traceback" not in message and 'File "' not in message, f"{where}: stack trace in the message: {message[:300]}"
        assert len(message) <= MAX_MESSAGE, f"{where}: {len(message)}-character error message"
        return
    assert result.structured_content is not None, f"{where}: a result without structured content"
    MODELS[name].model_validate(result.structured_content)
    assert result.content, f"{where}: a result without text content"


@pytest.fixture(scope="module")
def call(index_path: Path) -> Iterator[Caller]:
    tracebacks = _Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    server = create_server(handle=CorpusHandle(BUNDLED_CORPUS, index_path))
    try:
        with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:
            yield Caller(portal, client, tracebacks)
    finally:
        logging.getLogger().removeHandler(tracebacks)


# --- strategies -------------------------------------------------------------

FTS_PIECES = [
    '"', '""', "'", "NOT", "AND", "OR", "NEAR(", "NEAR", "NEAR/3", ")", "(", "-", "*", "^", ":", "+", "{", "}", ",",
    "body:", "fts:", "rank:", "\\", "%", "_", "agent", "agents*", "Apps SDK", "에이전트", "앱스 SDK를", "셔윈", "챗킷(chat kit)",
    "\x00", "\n", "\t", "\r", "\u200b", "\ufeff", "\u202e", "ＮＯＴ", "ａｇｅｎｔ", "ﬁ", "İ", "ß", "🤖", "\U0010ffff", "*a", "a*b",
    "SELECT * FROM turns;", "'); DROP TABLE turns; --", "../../etc/passwd", "%00", "NEAR(agent sdk, 2)",
]
BIG = [
    "a" * MB,
    "에" * MB,
    '"' * MB,
    "agent " * (MB // 6),
    "NEAR(" * (MB // 5),
    "\x00" * MB,
    ("x:" * (MB // 2)),
    "9" * MB,
]


def fts_soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(FTS_PIECES), min_size=1, max_size=12).flatmap(
        lambda parts: st.sampled_from([" ", "", "\t", "\u3000"]).map(lambda sep: sep.join(parts))
    )


HOSTILE_TEXT: st.SearchStrategy[str] = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co"]), max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=20),
    fts_soup(),
    st.sampled_from(BIG),
    st.sampled_from(["", " ", "\ud800", "a\udfffb", "\x00agent", "a" * 1001, "a" * 999]),
)
HOSTILE_INT: st.SearchStrategy[int] = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 10, 49, 50, 51, 99, 100, 101, 2**31, 2**63, -(2**63), 2**64, 10**30]),
)
WRONG_TYPE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_INT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just({"$ref": "#"}),
    st.just([[[[]]]]),
)
ANYTHING: st.SearchStrategy[Any] = st.one_of(HOSTILE_TEXT, WRONG_TYPE)


def forged_cursor() -> st.SearchStrategy[str]:
    payloads = st.one_of(
        st.builds(encode_cursor, st.integers(min_value=-(2**40), max_value=2**40), st.text(max_size=20)),
        st.builds(lambda o, k: base64.urlsafe_b64encode(json.dumps({"o": o, "k": k}).encode()).decode(), WRONG_TYPE, WRONG_TYPE),
        st.binary(max_size=80).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
        st.sampled_from(["", "=", "====", "e30", "bnVsbA", "W10", "eyJvIjoxfQ", "x" * 201, "x" * MB]),
    )
    return st.one_of(payloads, HOSTILE_TEXT)


TIMES = st.one_of(
    st.sampled_from(["00:01:00", "1:00", "0", "59", "99:99:99", "-1", "1e400", "²", "٣", "１２", "00:00:0²", "0" * 5000 + ":00:00"]),
    HOSTILE_INT,
    HOSTILE_TEXT,
)
EPISODES = st.one_of(st.just(EPISODE), st.sampled_from([EPISODE.upper(), EPISODE + " ", "../" + EPISODE, EPISODE[:-1]]), HOSTILE_TEXT)
SPEAKERS = st.one_of(st.sampled_from(["sherwin", "셔윈", "Sherwin Wu", "alessio", "SWYX", "셔윈(Sherwin)", "(", "()"]), HOSTILE_TEXT)
TURN_IDS = st.one_of(
    st.builds(lambda e, n: f"{e}:{n}", EPISODES, HOSTILE_INT),
    st.builds(lambda n: f"{EPISODE}:{n}", st.sampled_from(["٣", "²", "+3", "-3", " 3", "3 ", "3.0", "0x3", "", "9" * 5000])),
    HOSTILE_TEXT,
)


def arguments(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Each argument omitted, plausible-or-hostile of its type, or of a wrong type; sometimes extra arguments."""
    optional = {name: st.one_of(strategy, strategy, ANYTHING) for name, strategy in fields.items()}
    extras = st.dictionaries(st.text(min_size=1, max_size=10), ANYTHING, max_size=2)
    return st.builds(lambda base, extra: {**extra, **base}, st.fixed_dictionaries({}, optional=optional), extras)


LANGUAGES = st.sampled_from(["any", "en", "ko", "EN", "", "fr", "en ", "any\x00"])
LIMITS = st.one_of(st.integers(min_value=-3, max_value=110), HOSTILE_INT)
CURSORS = st.one_of(st.none(), forged_cursor())

TOOL_ARGUMENTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "search_transcript": arguments(
        query=st.one_of(HOSTILE_TEXT, st.sampled_from(["agent", "Apps SDK", "에이전트 빌더", '"agent kit"', "agen*"])),
        language=LANGUAGES,
        speaker=SPEAKERS,
        episode=EPISODES,
        start=TIMES,
        end=TIMES,
        limit=LIMITS,
        cursor=CURSORS,
    ),
    "get_speaker_turns": arguments(
        speaker=SPEAKERS, episode=EPISODES, language=LANGUAGES, start=TIMES, end=TIMES, limit=LIMITS, cursor=CURSORS
    ),
    "get_turn": arguments(turn_id=TURN_IDS, before=LIMITS, after=LIMITS, language=LANGUAGES),
    "list_launches": arguments(
        kind=st.one_of(st.sampled_from(["model", "docs", "MODEL ", "product"]), HOSTILE_TEXT),
        category=st.one_of(st.sampled_from(["models", "apps", "agents"]), HOSTILE_TEXT),
        query=st.one_of(st.sampled_from(["sora", "앱스", "Apps SDK", "a" * 200, "a" * 201]), HOSTILE_TEXT),
        episode=EPISODES,
    ),
    "list_speakers": arguments(episode=EPISODES),
    "list_episodes": arguments(limit=LIMITS, cursor=CURSORS),
    "search": arguments(query=st.one_of(HOSTILE_TEXT, st.sampled_from(["agent", "에이전트 빌더", "Apps SDK"]))),
    "fetch": arguments(id=TURN_IDS),
}


# --- properties ---------------------------------------------------------------


@pytest.mark.parametrize("tool", sorted(TOOL_ARGUMENTS))
@HYPOTHESIS
@given(data=st.data())
def test_any_arguments_end_in_a_result_or_a_tool_error(call: Caller, tool: str, data: st.DataObject) -> None:
    call(tool, data.draw(TOOL_ARGUMENTS[tool], label="arguments"))


@HYPOTHESIS
@given(query=fts_soup())
def test_fts_syntax_is_text_not_syntax(call: Caller, query: str) -> None:
    """FTS5 operators and quotes never reach SQLite as syntax: a result or a clear 'nothing searchable'."""
    result = call("search_transcript", {"query": query})
    if result.is_error:
        assert "nothing searchable" in error_text(result) or "empty" in error_text(result)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(arguments=st.dictionaries(st.text(max_size=12), ANYTHING, max_size=4), tool=st.sampled_from([*MODELS, "no_such_tool", ""]))
def test_random_argument_dicts(call: Caller, tool: str, arguments: dict[str, Any]) -> None:
    if tool in MODELS:
        check(tool, arguments, call.raw(tool, arguments))
    else:  # an unknown tool is a JSON-RPC invalid-params error naming the tools there are
        with pytest.raises(MCPError) as refused:
            call.raw(tool, arguments)
        assert refused.value.error.code == INVALID_PARAMS and "unknown tool" in refused.value.error.message


# --- pinned cases (each a bug once, or a promise worth stating) ---------------


@pytest.mark.parametrize(
    ("tool", "args", "expect"),
    [
        ("get_turn", {"turn_id": f"{EPISODE}:99999999999999999999999"}, "unknown turn"),
        ("get_turn", {"turn_id": f"{EPISODE}:٣"}, "unknown turn"),
        ("get_turn", {"turn_id": "x" * MB + ":1"}, "unknown turn"),
        ("search_transcript", {"query": "agent", "start": "²"}, "start must be"),
        ("search_transcript", {"query": "agent", "start": "0" * 5000 + ":00:00"}, "start must be"),
        ("get_speaker_turns", {"speaker": "sherwin", "end": "1²"}, "end must be"),
        ("search_transcript", {"query": "a" * MB}, "keep it under"),
        ("search_transcript", {"query": "agent", "episode": "x" * MB}, "unknown episode"),
        ("list_speakers", {"episode": "x" * MB}, "unknown episode"),
        ("get_speaker_turns", {"speaker": "x" * MB}, "unknown speaker"),
        ("search_transcript", {"query": "agent", "limit": -1}, "limit"),
        ("search_transcript", {"query": "agent", "limit": 10**30}, "limit"),
        ("list_episodes", {"limit": 0}, "limit"),
        ("get_turn", {"turn_id": f"{EPISODE}:1", "before": 11}, "before"),
        ("search_transcript", {"query": 123}, "query"),
        ("search_transcript", {}, "query"),
        ("list_episodes", {"cursor": "not a cursor"}, "invalid cursor"),
        ("list_launches", {"episode": "../../etc/passwd"}, "unknown episode"),
        ("fetch", {"id": f"{EPISODE}:99999999999999999999999"}, "unknown turn"),
        ("fetch", {"id": "../../etc/passwd"}, "unknown turn"),
        ("search", {"query": "\x00"}, "nothing searchable"),
    ],
)
def test_pinned_errors_are_tool_errors_with_a_message(call: Caller, tool: str, args: dict[str, Any], expect: str) -> None:
    result = call(tool, args)
    assert result.is_error
    assert expect in error_text(result)


def test_a_cursor_from_another_query_is_refused(call: Caller) -> None:
    first = call("search_transcript", {"query": "agent", "limit": 1})
    assert not first.is_error and first.structured_content
    cursor = first.structured_content["next_cursor"]
    assert cursor
    assert not call("search_transcript", {"query": "agent", "limit": 1, "cursor": cursor}).is_error
    for tool, args in [
        ("search_transcript", {"query": "agents sdk", "cursor": cursor}),
        ("search_transcript", {"query": "agent", "language": "ko", "cursor": cursor}),
        ("get_speaker_turns", {"speaker": "sherwin", "cursor": cursor}),
        ("list_episodes", {"cursor": cursor}),
    ]:
        result = call(tool, args)
        assert result.is_error and "different query" in error_text(result)


def test_a_cursor_past_the_end_gives_an_empty_page(call: Caller) -> None:
    first = call("search_transcript", {"query": "agent", "limit": 1})
    assert first.structured_content
    key = json.loads(base64.urlsafe_b64decode(first.structured_content["next_cursor"] + "==="))["k"]
    late = call("search_transcript", {"query": "agent", "limit": 1, "cursor": encode_cursor(999_999, key)})
    assert not late.is_error and late.structured_content
    assert late.structured_content["hits"] == [] and late.structured_content["next_cursor"] is None
    too_far = call("search_transcript", {"query": "agent", "cursor": encode_cursor(10**7, key)})
    assert too_far.is_error and "invalid cursor" in error_text(too_far)


def test_the_server_survives_the_onslaught(call: Caller) -> None:
    """After every hostile call above, ordinary calls still answer correctly."""
    result = call("search_transcript", {"query": "Apps SDK", "limit": 3})
    assert not result.is_error and result.structured_content and result.structured_content["hits"]
    tools = call.portal.call(call.client.list_tools)
    untested = {t.name for t in tools.tools} - set(TOOL_ARGUMENTS)
    assert not untested, f"tools without a hostile-input strategy: {sorted(untested)}"
