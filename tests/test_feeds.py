"""ingest --feed against a real HTTP server on loopback (tests/feed_server.py), serving our own feeds.

One corpus is built from the Podcasting 2.0 feed through the command line and searched with
dates, chapters and speakers; the other tests ingest into corpora of their own. No request
leaves 127.0.0.1: the fixtures' other links (episode pages, people) are never fetched.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from mcp import Client

from corpus import catalog, turns
from corpus.dates import in_range
from corpus.errors import InvalidQuery
from corpus.feeds.fetch import Fetcher, FetchFailed, FetchLimits
from corpus.feeds.run import ingest_feed
from corpus.feeds.state import load_state
from corpus.index.build import build_index
from corpus.search import Searcher
from corpus.semantic.embedder import SEMANTIC_ENV
from corpus.store import CorpusStore
from mcp_server.cli import build_parser
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.ingest_cli import run_ingest
from mcp_server.server import create_server
from tests.feed_server import FIXTURES, FeedServer

FAST = FetchLimits(timeout=0.5, retries=0, backoff=0.0)
EP1, EP2 = "loopback-talks-lt-001", "loopback-talks-lt-002"


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    running = FeedServer().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def words_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEMANTIC_ENV, "off")  # no model: these tests are about feeds


def cli(*argv: str) -> tuple[int, str]:
    """`podcast-corpus-mcp ingest ...` in this process: (exit status, stderr)."""
    args = build_parser().parse_args(["ingest", *argv])
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_ingest(args)
    return code, err.getvalue()


@dataclass
class Built:
    corpus: Path
    index: Path
    code: int
    stderr: str


@pytest.fixture(scope="module")
def built(server: FeedServer, tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("feed-corpus")
    corpus, index = folder / "corpus", folder / "index.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SEMANTIC_ENV, "off")
        code, stderr = cli("--feed", server.url("/feeds/good.xml"), "--corpus", str(corpus), "--index", str(index), "--timeout", "2")
    return Built(corpus, index, code, stderr)


@pytest.fixture(scope="module")
def store(built: Built) -> Iterator[CorpusStore]:
    opened = CorpusStore(built.index)
    yield opened
    opened.close()


def test_a_feed_becomes_episodes_with_dates_speakers_and_chapters(built: Built, server: FeedServer, store: CorpusStore) -> None:
    feed = server.url("/feeds/good.xml")
    assert built.code == 0, built.stderr
    assert f"feed {feed} (Loopback Talks): 3 new episodes, 0 updated, 0 unchanged, 1 without a transcript, 0 failed" in built.stderr
    assert f"warning: feed {feed}: episode lt-002: {server.base}/missing/ep2.chapters.json: chapters skipped: HTTP 404" in built.stderr
    assert "episode 1/4: Sourdough and schedulers" in built.stderr  # progress, on stderr
    assert len(store.episodes) == 3
    first = store.episodes[EP1]
    assert (first.title, first.published, first.duration_seconds, first.guid, first.feed) == (
        "Sourdough and schedulers", "2025-03-10T09:30:00Z", 70, "lt-001", feed)
    assert first.url == "https://loopback-talks.example/episodes/1" and first.show == "Loopback Talks"
    chapters = [(c.title, c.start_seconds) for c in first.chapters]
    assert chapters == [("Welcome", 0), ("Yeast as a queue", 10), ("Scaling out the kitchen", 50)]  # not the one marked toc: false
    speakers = {s.id: (s.role, s.host) for s in first.speakers}
    assert speakers == {"jane-host": ("Host", True), "gus-guest": ("Guest", False)}  # the editor does not speak
    assert next(s.format for s in first.sources if s.role != "translation") == "podcast20-json"  # JSON beats plain text
    assert store.episodes[EP2].published == "2025-02-01T11:00:00Z"  # +0100 in the feed
    assert store.episodes[EP2].sources[0].format == "webvtt"  # VTT with voices beats SRT
    sidecar = json.loads((built.corpus / EP1 / "episode.json").read_text())
    assert sidecar["guid"] == "lt-001" and sidecar["published"] == "2025-03-10T09:30:00Z"
    assert {s["path"] for s in sidecar["sources"]} == {"transcript.json", "transcript.ko.vtt"}
    html = next(e for e in store.episodes.values() if e.guid == "https://loopback-talks.example/episodes/3")
    assert html.id.startswith("loopback-talks-") and html.sources[0].format == "html"


def test_search_with_dates_chapters_and_speakers(store: CorpusStore) -> None:
    searcher = Searcher(store)
    found = searcher.search("second worker pool", limit=3)
    hit = found.hits[0]
    assert (hit.episode_id, hit.speaker, hit.published) == (EP1, "gus-guest", "2025-03-10T09:30:00Z")
    assert hit.chapter is not None and (hit.chapter.title, hit.chapter.start_seconds, hit.chapter.timestamp) == (
        "Scaling out the kitchen", 50, "00:00:50")
    korean = searcher.search("효모", language="ko")
    assert korean.hits and korean.hits[0].episode_id == EP1  # the Korean transcript, aligned as a translation
    assert searcher.search("voice", after="2025-03-01").total == 0
    assert {h.episode_id for h in searcher.search("voice", before="2025-02-28").hits} == {EP2}
    assert {h.episode_id for h in searcher.search("voice", after="2025-02-01", before="2025-02-01").hits} == {EP2}  # inclusive
    assert searcher.search("voice", speaker="Vera").hits[0].speaker == "vera-voice"
    for bad in ({"after": "2025-13-01"}, {"before": "March"}, {"after": "2025-03-02", "before": "2025-03-01"}):
        with pytest.raises(InvalidQuery):
            searcher.search("voice", **bad)


def test_a_date_filter_keeps_exactly_the_unfiltered_hits_of_its_episodes(store: CorpusStore) -> None:
    """The date filter narrows the documents before scoring (like `span`): the hits and their
    ranks are those of the unfiltered search in the episodes it keeps."""
    searcher = Searcher(store)
    days = dict(store.published)
    for query in ("the", "schedulers yeast", "voice lamp", "a"):
        everything = searcher.search(query, limit=50, mode="words").hits
        for after, before in (("2025-02-01", None), (None, "2025-02-28"), ("2025-01-01", "2025-02-15"), ("2030-01-01", None)):
            kept = [h.turn_id for h in everything if in_range(days[h.episode_id], after, before)]
            filtered = searcher.search(query, limit=50, mode="words", after=after, before=before).hits
            assert [h.turn_id for h in filtered] == kept, (query, after, before)
    later = tuple(n for n, (_, day) in enumerate(store.published) if day and day >= "2025-02-01")
    assert store.episode_numbers("2025-02-01", None) == later and len(later) == 2
    assert store.episode_numbers(None, None) is None and store.episode_numbers("2030-01-01", None) == ()


def test_list_episodes_sorts_and_filters_by_date(store: CorpusStore) -> None:
    newest = [e.id for e in catalog.list_episodes(store, sort="newest").episodes]
    assert newest[:2] == [EP1, EP2] and len(newest) == 3
    assert [e.id for e in catalog.list_episodes(store, sort="oldest").episodes] == newest[::-1]
    titles = [e.title for e in catalog.list_episodes(store, sort="title").episodes]
    assert titles == sorted(titles, key=str.casefold)
    january = catalog.list_episodes(store, after="2025-01-01", before="2025-01-31", sort="newest")
    assert [e.title for e in january.episodes] == ["An HTML transcript"] and january.total == 1
    page = catalog.list_episodes(store, sort="newest", limit=1)
    second = catalog.list_episodes(store, sort="newest", limit=1, cursor=page.next_cursor)
    assert [e.id for e in second.episodes] == [EP2]
    with pytest.raises(InvalidQuery):
        catalog.list_episodes(store, sort="popular")


def test_get_turn_names_the_chapter(store: CorpusStore) -> None:
    passage = turns.get_passage(store, f"{EP1}:1", before=1)
    assert [t.chapter.title if t.chapter else None for t in passage.turns] == ["Welcome", "Yeast as a queue"]
    assert passage.turns[0].published == "2025-03-10T09:30:00Z"


@pytest.mark.anyio
async def test_the_tools_take_dates(built: Built) -> None:
    handle = CorpusHandle(built.corpus, built.index, warm_up=False, embed_missing=False)
    async with Client(create_server(handle=handle)) as client:
        result = await client.call_tool("search_transcript", {"query": "lighthouse", "after": "2025-01-01", "before": "2025-01-31"})
        data = result.structured_content
        assert not result.is_error and data is not None and data["total"] == 1
        assert data["hits"][0]["published"].startswith("2025-01-05") and "2025-01-05" in result.content[0].text  # type: ignore[union-attr]
        listed = await client.call_tool("list_episodes", {})
        assert listed.structured_content is not None and listed.structured_content["episodes"][0]["id"] == EP1  # newest first
        bad = await client.call_tool("search_transcript", {"query": "lighthouse", "after": "01/05/2025"})
        assert bad.is_error and "YYYY-MM-DD" in bad.content[0].text  # type: ignore[union-attr]
        turn = await client.call_tool("get_turn", {"turn_id": f"{EP1}:3"})
        assert turn.structured_content is not None and turn.structured_content["turns"][0]["chapter"]["title"] == "Scaling out the kitchen"


@pytest.mark.anyio
async def test_the_episodes_resource_lists_in_the_tools_default_order(built: Built) -> None:
    handle = CorpusHandle(built.corpus, built.index, warm_up=False, embed_missing=False)
    async with Client(create_server(handle=handle)) as client:
        listed = await client.call_tool("list_episodes", {})
        resource = await client.read_resource("corpus://episodes")
    assert listed.structured_content is not None
    tool_ids = [e["id"] for e in listed.structured_content["episodes"]]
    text = resource.contents[0].text  # type: ignore[union-attr]
    assert [e["id"] for e in json.loads(text)["episodes"]] == tool_ids and tool_ids[:2] == [EP1, EP2]


def test_a_rerun_fetches_nothing_new(built: Built, server: FeedServer) -> None:
    before = sum(server.hits.values())
    code, stderr = cli("--feed", server.url("/feeds/good.xml"), "--corpus", str(built.corpus), "--index", str(built.index))
    assert code == 0, stderr
    assert "not modified since the last run (nothing fetched)" in stderr and "index: already up to date" in stderr
    assert sum(server.hits.values()) == before + 1 and server.conditional[-1] == "/feeds/good.xml"


def test_a_changed_feed_fetches_only_the_new_episode(server: FeedServer, tmp_path: Path) -> None:
    with Fetcher(FAST) as fetcher:
        assert len(ingest_feed(server.url("/feeds/good.xml"), tmp_path, fetcher).added) == 3
        json_fetches = server.hits["/files/ep1.json"]
        server.extra["good"] = (FIXTURES / "extra_item.xml").read_text()
        try:
            report = ingest_feed(server.url("/feeds/good.xml"), tmp_path, fetcher)
        finally:
            server.extra.pop("good")
    assert report.added == ["loopback-talks-lt-005"] and report.skipped == 3 and not report.errors
    assert server.hits["/files/ep1.json"] == json_fetches
    assert report.requests == 2  # the feed and the one new transcript
    chapters = server.hits["/files/ep1.chapters.json"]
    server.edits["good"] = [
        ("Sourdough and schedulers", "Sourdough, schedulers and yeast"),
        ('<podcast:person role="guest">Gus', '<podcast:person role="guest">Gustav'),
    ]
    try:
        with Fetcher(FAST) as fetcher:
            edited = ingest_feed(server.url("/feeds/good.xml"), tmp_path, fetcher)
    finally:
        server.edits.pop("good")
    assert edited.updated == [EP1] and edited.skipped == 2 and edited.requests == 1  # the feed alone
    assert server.hits["/files/ep1.json"] == json_fetches and server.hits["/files/ep1.chapters.json"] == chapters
    sidecar = json.loads((tmp_path / EP1 / "episode.json").read_text())
    assert sidecar["title"] == "Sourdough, schedulers and yeast" and len(sidecar["chapters"]) == 3
    assert [s["name"] for s in sidecar["speakers"]] == ["Jane Host", "Gustav Guest"]
    assert sorted(p.name for p in (tmp_path / EP1).iterdir()) == ["episode.json", "transcript.json", "transcript.ko.vtt"]


def test_each_failure_names_feed_guid_and_url_and_the_rest_is_ingested(server: FeedServer, tmp_path: Path) -> None:
    limits = FetchLimits(timeout=0.3, retries=0, backoff=0.0, transcript_bytes=1024 * 1024)
    server.slow_seconds = 2.0
    with Fetcher(limits) as fetcher:
        report = ingest_feed(server.url("/feeds/failing.xml"), tmp_path, fetcher)
    assert report.added == ["failure-modes-fm-ok", "failure-modes-fm-fallback"]
    fallback = f"episode fm-fallback: took {server.base}/files/ep2.vtt instead: {server.base}/missing/transcript.json: HTTP 404"
    assert fallback in report.warnings[0]
    errors = {error.guid: str(error) for error in report.errors}
    feed = server.url("/feeds/failing.xml")
    expected = {
        "fm-404": (f"{server.base}/missing/transcript.vtt", "HTTP 404"),
        "fm-huge": (f"{server.base}/huge/declared.vtt", "too large: 1,000,000,000 bytes declared"),
        "fm-stream": (f"{server.base}/huge/streamed.vtt", "too large: more than the limit of 1,048,576 bytes"),
        "fm-loop": (f"{server.base}/loop/a.vtt", "more than 5 redirects"),
        "fm-slow": (f"{server.base}/slow/transcript.vtt", "timed out after 0.3 s"),
        "fm-file": ("file:///etc/passwd", "only http and https URLs are fetched"),
        "fm-audio": (f"{server.base}/media/audio.vtt", "unexpected content type 'audio/mpeg'"),
    }
    assert set(errors) == set(expected)
    for guid, (url, reason) in expected.items():
        message = errors[guid]
        head = f"feed {feed}: episode {guid}: {url}: "
        assert message.startswith(head) and reason in message, message
    record = load_state(tmp_path).feeds[feed]
    assert record.etag is None and list(record.episodes) == ["fm-ok", "fm-fallback"]  # the next run gets the feed again, retries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failure-modes-fm-fallback", "failure-modes-fm-ok", "feeds.json"]


def test_a_failing_feed_leaves_the_corpus_intact(built: Built, server: FeedServer) -> None:
    files = sorted(str(p.relative_to(built.corpus)) for p in built.corpus.rglob("*"))
    index = built.index.read_bytes()
    args = ("--corpus", str(built.corpus), "--index", str(built.index), "--timeout", "1", "--retries", "0")
    cases = {
        "/feeds/broken.xml": "not an RSS or Atom feed",
        "/feeds/bomb.xml": "declares XML entities",
        "/feeds/nope.xml": "HTTP 404",
    }
    for path, reason in cases.items():
        code, stderr = cli("--feed", server.url(path), *args)
        assert code == 1 and f"error: feed {server.url(path)}: " in stderr and reason in stderr, stderr
    code, stderr = cli("--feed", "ftp://127.0.0.1/feed.xml", *args)
    assert code == 1 and "only http and https" in stderr
    code, stderr = cli("--feed", server.url("/feeds/plain.xml"), *args)
    assert code == 0 and "no episode publishes a transcript (<podcast:transcript>)" in stderr
    assert "0 new episodes, 0 updated, 0 unchanged, 2 without a transcript, 0 failed" in stderr
    assert sorted(str(p.relative_to(built.corpus)) for p in built.corpus.rglob("*")) == files
    assert built.index.read_bytes() == index


def test_refresh_updates_every_feed(built: Built, server: FeedServer) -> None:
    code, stderr = cli("--refresh", "--corpus", str(built.corpus), "--index", str(built.index))
    assert code == 0, stderr
    assert f"feed {server.url('/feeds/good.xml')}: not modified" in stderr
    assert f"feed {server.url('/feeds/plain.xml')}: not modified" in stderr  # it was added, though it had nothing to add
    assert "broken.xml" not in stderr  # a feed that failed to read was never added


def test_limit_and_since_pick_the_newest(server: FeedServer, tmp_path: Path) -> None:
    with Fetcher(FAST) as fetcher:
        assert ingest_feed(server.url("/feeds/good.xml"), tmp_path / "a", fetcher, limit=1).added == [EP1]
        since = ingest_feed(server.url("/feeds/good.xml"), tmp_path / "b", fetcher, since=date(2025, 2, 1))
        rest = ingest_feed(server.url("/feeds/good.xml"), tmp_path / "a", fetcher)  # a limited run kept no ETag
        rest_since = ingest_feed(server.url("/feeds/good.xml"), tmp_path / "b", fetcher)
    assert since.added == [EP1, EP2]
    assert not rest.not_modified and len(rest.added) == 2 and rest.skipped == 1 and EP2 in rest.added
    assert not rest_since.not_modified and len(rest_since.added) == 1 and rest_since.skipped == 2
    assert load_state(tmp_path / "a").feeds[server.url("/feeds/good.xml")].etag is not None  # that run was complete


def test_a_gzip_bomb_is_cut_off_at_the_cap_not_after_a_chunk_inflates(server: FeedServer) -> None:
    import tracemalloc

    with Fetcher(FAST) as fetcher:
        plain = fetcher.get(server.url("/gzip/ep5.vtt"), max_bytes=10_000, accepted=("text/",))
        assert plain.body == (FIXTURES / "ep5.vtt").read_bytes()  # a compressed body, decompressed
        tracemalloc.start()
        try:
            with pytest.raises(FetchFailed, match="too large: more than the limit of 1,048,576 bytes"):
                fetcher.get(server.url("/gzip-bomb/x.vtt"), max_bytes=1024 * 1024, accepted=("text/",))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # the cap and a piece, not the tens of MiB one network chunk inflates to


def test_a_redirect_to_a_url_that_cannot_be_fetched_is_a_fetch_failure(server: FeedServer) -> None:
    with Fetcher(FAST) as fetcher:
        for path in ("/to-data/x.vtt", "/to-js/x.vtt"):
            with pytest.raises(FetchFailed, match="redirected to a URL"):
                fetcher.get(server.url(path), max_bytes=10_000, accepted=("text/",))


def test_what_failed_for_a_while_is_fetched_again_next_run(server: FeedServer, tmp_path: Path) -> None:
    """Chapters and a translation that met a 503: the run keeps no ETag, and the next one gets them."""
    feed = server.url("/feeds/retry.xml")
    with Fetcher(FAST) as fetcher:
        first = ingest_feed(feed, tmp_path, fetcher)
        assert first.added == ["retry-radio-rr-1"] and not first.errors and len(first.warnings) == 2
        assert load_state(tmp_path).feeds[feed].etag is None
        second = ingest_feed(feed, tmp_path, fetcher)
        third = ingest_feed(feed, tmp_path, fetcher)
    assert not second.not_modified and second.updated == ["retry-radio-rr-1"] and not second.warnings
    sidecar = json.loads((tmp_path / "retry-radio-rr-1" / "episode.json").read_text())
    assert len(sidecar["chapters"]) == 3 and {s["language"] for s in sidecar["sources"]} == {"en", "ko"}
    assert third.not_modified


def test_a_private_feeds_token_stays_in_the_feed_list(server: FeedServer, tmp_path: Path) -> None:
    private = server.url("/feeds/good.xml?token=s3cret").replace("http://", "http://me:pw@")
    with Fetcher(FAST) as fetcher:
        report = ingest_feed(private, tmp_path, fetcher)
    assert len(report.added) == 3
    for folder in report.added:
        text = (tmp_path / folder / "episode.json").read_text()
        assert "s3cret" not in text and "pw@" not in text
        assert json.loads(text)["feed"] == server.url("/feeds/good.xml")
    assert list(load_state(tmp_path).feeds) == [private]  # the full URL, for the next run


def test_a_local_feed_file_reads_files_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "one.vtt").write_bytes((FIXTURES / "ep5.vtt").read_bytes())
    (tmp_path / "secret.vtt").write_bytes((FIXTURES / "ep5.vtt").read_bytes())
    items = "".join(
        f'<item><title>{guid}</title><guid>{guid}</guid><podcast:transcript url="{url}" type="text/vtt"/></item>'
        for guid, url in (("local-1", "one.vtt"), ("local-2", "../secret.vtt"))
    )
    (folder / "feed.xml").write_text(
        f'<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Local</title>{items}</channel></rss>'
    )
    with Fetcher(FAST) as fetcher:
        report = ingest_feed(str(folder / "feed.xml"), tmp_path / "corpus", fetcher)
    assert report.added == ["local-local-1"]
    assert [e.guid for e in report.errors] == ["local-2"] and "inside the feed's folder" in str(report.errors[0])
    build_index(tmp_path / "corpus", tmp_path / "index.sqlite")
    opened = CorpusStore(tmp_path / "index.sqlite")
    assert Searcher(opened).search("lamp").total == 1
    opened.close()


def test_size_caps_and_retries(server: FeedServer, tmp_path: Path) -> None:
    with Fetcher(FetchLimits(feed_bytes=100, retries=0)) as fetcher:
        report = ingest_feed(server.url("/feeds/good.xml"), tmp_path / "corpus", fetcher)
    assert "too large" in str(report.errors[0]) and not (tmp_path / "corpus").exists()  # a failed feed leaves no trace
    with Fetcher(FetchLimits(retries=1, backoff=0.0)) as fetcher:
        assert fetcher.get(server.url("/flaky/ep5.vtt"), max_bytes=10_000, accepted=("text/",)).status == 200
    with Fetcher(FetchLimits(retries=0)) as fetcher, pytest.raises(FetchFailed, match=r"HTTP 503 \(after 1 attempts\)"):
        fetcher.get(server.url("/flaky/ep2.vtt"), max_bytes=10_000, accepted=("text/",))


def test_the_command_writes_nothing_to_stdout(server: FeedServer, tmp_path: Path) -> None:
    """`python -m mcp_server ingest --feed URL` as a user runs it: progress and summary on stderr, stdout empty."""
    import os
    import subprocess
    import sys

    env = {**os.environ, SEMANTIC_ENV: "off"}
    done = subprocess.run(
        [sys.executable, "-m", "mcp_server", "ingest", "--feed", server.url("/feeds/good.xml"), "--corpus", str(tmp_path / "c"),
         "--index", str(tmp_path / "i.sqlite"), "--no-semantic"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "3 new episodes" in done.stderr and "index: 3 episodes indexed" in done.stderr


def test_a_transcript_that_names_speakers_beats_captions_without_voices(tmp_path: Path) -> None:
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "captions.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello and welcome.\n\n"
                                         "00:00:06.000 --> 00:00:09.000\nThanks for having me.\n")
    (folder / "named.srt").write_bytes((FIXTURES / "ep2.srt").read_bytes())
    (folder / "feed.xml").write_text(
        '<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Voices</title>'
        '<item><guid>v-1</guid><podcast:transcript url="captions.vtt" type="text/vtt"/>'
        '<podcast:transcript url="named.srt" type="application/x-subrip"/></item></channel></rss>'
    )
    with Fetcher(FAST) as fetcher:
        assert ingest_feed(str(folder / "feed.xml"), tmp_path / "corpus", fetcher).added == ["voices-v-1"]
    sidecar = json.loads((tmp_path / "corpus" / "voices-v-1" / "episode.json").read_text())
    assert sidecar["sources"] == [{"path": "transcript.srt", "format": "srt", "language": "en"}]


def test_a_body_that_drips_in_is_cut_off_at_the_total_deadline(server: FeedServer) -> None:
    limits = FetchLimits(timeout=0.5, total=0.4, retries=0)  # each byte comes well within the timeout
    started = time.monotonic()
    with Fetcher(limits) as fetcher, pytest.raises(FetchFailed, match=r"too slow: still sending after 0.4 s"):
        fetcher.get(server.url("/drip/transcript.vtt"), max_bytes=10_000_000, accepted=("text/",))
    assert time.monotonic() - started < 5
