"""Faults: a missing, truncated or corrupt index; a build that dies halfway; readers during a build.

The index is derived data, so a damaged one is rebuilt (or, when it cannot be, every
call is a tool error that says so); answers are never read from a damaged file. A
build writes a temporary file and renames it into place, so a build that is killed
or raises leaves the previous index untouched, and a reader sees the old index or the
new one, never a mix. The server opens the index read-only and no tool writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import TextContent

import corpus.index.build as build_module
from corpus.errors import IndexError_
from corpus.index.build import build_index, ensure_index, index_ok, read_meta
from corpus.locations import BUNDLED_CORPUS
from corpus.store import CorpusStore
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

EPISODE = "latent-space-devday-2025"
REPO = Path(__file__).resolve().parent.parent

# One call of every tool, each with a checkable answer.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_transcript", {"query": "Apps SDK", "limit": 5}),
    ("search_transcript", {"query": "에이전트 빌더", "limit": 5}),
    ("get_speaker_turns", {"speaker": "sherwin", "limit": 5}),
    ("get_turn", {"turn_id": f"{EPISODE}:10", "before": 2, "after": 2}),
    ("list_launches", {}),
    ("list_speakers", {}),
    ("list_episodes", {}),
    ("search", {"query": "agent kit"}),
    ("fetch", {"id": f"{EPISODE}:10"}),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def answers(handle: CorpusHandle) -> list[tuple[bool, Any]]:
    """(is_error, structured content without cursors) of every call in CALLS, through the MCP client."""

    async def run() -> list[tuple[bool, Any]]:
        found: list[tuple[bool, Any]] = []
        async with Client(create_server(handle=handle)) as client:
            for name, args in CALLS:
                result = await client.call_tool(name, args)
                if result.is_error:
                    assert isinstance(result.content[0], TextContent)
                    found.append((True, result.content[0].text))
                else:
                    data = dict(result.structured_content or {})
                    data.pop("next_cursor", None)
                    found.append((False, data))
        return found

    try:
        return anyio.run(run)
    finally:
        handle.close()


@pytest.fixture(scope="module")
def reference(index_path: Path) -> list[tuple[bool, Any]]:
    found = answers(CorpusHandle(BUNDLED_CORPUS, index_path))
    assert not any(is_error for is_error, _ in found), found
    return found


@pytest.fixture
def index_copy(index_path: Path, tmp_path: Path) -> Path:
    """A private copy of the session's (fresh) index."""
    copy = tmp_path / "index.sqlite"
    shutil.copyfile(index_path, copy)
    return copy


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _other_database(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('not an index')")
    conn.close()


def _forged_meta(path: Path) -> None:
    """A valid SQLite file whose meta table claims to be the fresh index, and nothing else."""
    meta = read_meta(path)
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.execute("CREATE TABLE episodes (pk INTEGER PRIMARY KEY, id TEXT, folder TEXT, data TEXT)")
    conn.close()


def _dropped_table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE turns")
    conn.close()


def _missing(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "missing": _missing,
    "empty": _empty,
    "truncated": _truncate,
    "random bytes": _random_bytes,
    "another program's database": _other_database,
    "forged meta, no tables": _forged_meta,
    "a table dropped": _dropped_table,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_index_is_rebuilt_and_answers_are_right(
    damage: str, index_copy: Path, reference: list[tuple[bool, Any]]
) -> None:
    DAMAGE[damage](index_copy)
    assert not index_ok(index_copy)
    assert answers(CorpusHandle(BUNDLED_CORPUS, index_copy)) == reference
    assert index_ok(index_copy)


@pytest.mark.parametrize("damage", ["truncated", "a table dropped", "forged meta, no tables"])
def test_ensure_index_rebuilds_from_scratch(damage: str, index_copy: Path) -> None:
    DAMAGE[damage](index_copy)
    report = ensure_index(BUNDLED_CORPUS, index_copy)
    assert report is not None and report.rebuilt and not report.errors
    assert ensure_index(BUNDLED_CORPUS, index_copy) is None


def test_an_index_that_cannot_be_built_is_a_clear_tool_error(tmp_path: Path, reference: list[tuple[bool, Any]]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    found = answers(CorpusHandle(BUNDLED_CORPUS, blocker / "index.sqlite"))
    for is_error, message in found:
        assert is_error
        assert "cannot build the index" in message and "Traceback" not in message
    # the cause goes away: the next server (or the next call) works
    blocker.unlink()
    assert answers(CorpusHandle(BUNDLED_CORPUS, blocker / "index.sqlite")) == reference


def test_a_handle_retries_after_a_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "later"
    blocker.write_text("")
    handle = CorpusHandle(BUNDLED_CORPUS, blocker / "index.sqlite")
    with pytest.raises(IndexError_, match="cannot build the index"):
        handle.open()
    blocker.unlink()
    assert handle.store.episodes
    handle.close()


# --- builds that die -----------------------------------------------------------

KILLED_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from corpus.index.build import build_index
    from corpus.locations import BUNDLED_CORPUS

    def stall(number, total, key):
        print("building", flush=True)
        time.sleep(60)

    build_index(BUNDLED_CORPUS, Path(sys.argv[1]), rebuild=True, progress=stall)
    """
)


def test_a_build_killed_halfway_leaves_the_previous_index(index_copy: Path, reference: list[tuple[bool, Any]]) -> None:
    before = sha256(index_copy)
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(index_copy)], stdout=subprocess.PIPE, text=True, cwd=REPO
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "building"
            leftovers = list(index_copy.parent.glob(f".{index_copy.name}.*.tmp"))
            assert leftovers, "the build writes to a temporary file"
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    assert sha256(index_copy) == before
    assert answers(CorpusHandle(BUNDLED_CORPUS, index_copy)) == reference
    # the dead build's temporary file is cleaned up by the next build
    build_index(BUNDLED_CORPUS, index_copy)
    assert not list(index_copy.parent.glob(f".{index_copy.name}.*.tmp"))


def test_a_build_that_raises_leaves_the_previous_index(index_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = sha256(index_copy)

    def explode(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(build_module, "_insert_episode", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_index(BUNDLED_CORPUS, index_copy, rebuild=True)
    assert sha256(index_copy) == before
    assert not list(index_copy.parent.glob(f".{index_copy.name}.*.tmp"))
    assert ensure_index(BUNDLED_CORPUS, index_copy) is None


# --- readers during builds -----------------------------------------------------


@pytest.fixture
def two_corpora(tmp_path: Path) -> tuple[Path, Path]:
    """The bundled episode alone, and the same with a second copy of it under another id."""
    one, two = tmp_path / "one", tmp_path / "two"
    for root in (one, two):
        shutil.copytree(BUNDLED_CORPUS / EPISODE, root / EPISODE)
    shutil.copytree(BUNDLED_CORPUS / EPISODE, two / "copy")
    sidecar = two / "copy" / "episode.json"
    sidecar.chmod(0o644)
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data["id"] = "copy-of-devday"
    sidecar.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return one, two


SNAPSHOT = (
    "SELECT (SELECT value FROM meta WHERE key = 'corpus_dir'), (SELECT COUNT(*) FROM episodes), "
    "(SELECT COUNT(*) FROM turns), (SELECT COUNT(*) FROM docs), (SELECT COUNT(*) FROM fts WHERE fts MATCH 'agent')"
)


def snapshot(path: Path) -> tuple[Any, ...]:
    store = CorpusStore(path)
    try:
        return tuple(store.rows(SNAPSHOT)[0])
    finally:
        store.close()


def test_readers_during_builds_see_the_old_index_or_the_new(two_corpora: tuple[Path, Path], tmp_path: Path) -> None:
    one, two = two_corpora
    index = tmp_path / "shared.sqlite"
    build_index(one, index)
    state_one = snapshot(index)
    build_index(two, index)
    state_two = snapshot(index)
    assert state_one != state_two
    expected = {state_one, state_two}

    seen: list[tuple[Any, ...]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(snapshot(index))
                time.sleep(0.002)
            except BaseException as exc:  # reported below
                failures.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(4):
            build_index(one if round_ % 2 == 0 else two, index)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert not failures, failures[0]
    assert seen and set(seen) <= expected, set(seen) - expected


def test_a_cursor_from_before_a_rebuild_is_refused(two_corpora: tuple[Path, Path], tmp_path: Path) -> None:
    one, two = two_corpora
    index = tmp_path / "index.sqlite"
    build_index(one, index)

    async def first_page() -> str:
        async with Client(create_server(handle=CorpusHandle(one, index))) as client:
            result = await client.call_tool("search_transcript", {"query": "agent", "limit": 1})
            assert result.structured_content
            return str(result.structured_content["next_cursor"])

    cursor = anyio.run(first_page)
    build_index(two, index)

    async def next_page() -> str:
        async with Client(create_server(handle=CorpusHandle(two, index))) as client:
            result = await client.call_tool("search_transcript", {"query": "agent", "limit": 1, "cursor": cursor})
            assert result.is_error and isinstance(result.content[0], TextContent)
            return result.content[0].text

    assert "older index" in anyio.run(next_page)


# --- read-only -------------------------------------------------------------------


def test_the_store_cannot_write(index_copy: Path) -> None:
    store = CorpusStore(index_copy)
    try:
        with store.cursor() as conn, pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            conn.execute("CREATE TABLE intruder (x)")
    finally:
        store.close()


def test_no_tool_writes(index_copy: Path) -> None:
    before = (sha256(index_copy), index_copy.stat().st_mtime_ns)
    siblings = set(index_copy.parent.iterdir())
    answers(CorpusHandle(BUNDLED_CORPUS, index_copy))
    assert (sha256(index_copy), index_copy.stat().st_mtime_ns) == before
    assert set(index_copy.parent.iterdir()) == siblings, "no journal, WAL or temp file was left beside the index"
