"""The pure parts of feed ingest, and the HTML transcript parser and date arguments, on tiny inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from corpus.dates import date_range, in_range, parse_date
from corpus.errors import CorpusError, FeedError, InvalidQuery, ParseError
from corpus.feeds.chapters import parse_chapters
from corpus.feeds.choose import candidates, format_of
from corpus.feeds.feed import TranscriptLink, language_code, parse_duration, parse_feed
from corpus.feeds.fetch import FetchFailed, check_url
from corpus.feeds.run import FeedReport, ingest_feed
from corpus.feeds.state import FeedRecord, FeedState, IngestedEpisode, load_state, save_state
from corpus.feeds.to_corpus import episode_id, feed_slug, write_episode
from corpus.parse import parse_file
from corpus.sidecar import SIDECAR_NAME, EpisodeSpec, SourceSpec, read_sidecar

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"


def link(url: str, kind: str = "", language: str | None = None, rel: str | None = None) -> TranscriptLink:
    return TranscriptLink(url, kind, language, rel)


def test_the_best_transcript_is_timed_with_speakers_in_the_feeds_language() -> None:
    links = (
        link("a.txt", "text/plain"), link("a.html", "text/html"), link("a.srt", "application/x-subrip"),
        link("a.vtt", "text/vtt", rel="captions"), link("b.vtt", "text/vtt"), link("a.json", "application/json"),
        link("ko.vtt", "text/vtt", "ko"), link("x.pdf", "application/pdf"),
    )
    chosen = candidates(links, "en")
    assert list(chosen) == ["en", "ko"]
    assert [c.link.url for c in chosen["en"]] == ["a.json", "b.vtt", "a.vtt", "a.srt", "a.html", "a.txt"]
    assert list(candidates((link("ko.vtt", "text/vtt", "ko"), link("de.srt", "", "de")), "en")) == ["ko", "de"]
    assert format_of(link("https://x/t.SRT?sig=1")) == "srt" and format_of(link("https://x/t")) is None


def test_durations_languages_and_ids() -> None:
    durations = [parse_duration(v) for v in ("3723", "01:02:03", "62:03", "1:2:3:4", "soon", "", "12.5")]
    assert durations == [3723, 3723, 3723, None, None, None, 12]
    assert (language_code("en-US"), language_code("KO"), language_code("12"), language_code(None)) == ("en", "ko", None, None)
    assert episode_id("show", "ep-1") == "show-ep-1"
    assert episode_id("show", "https://x/ep/1") == episode_id("show", "https://x/ep/1") != episode_id("show", "https://x/ep/2")
    assert len(episode_id("show", "https://x/ep/1")) == len("show-") + 12
    assert episode_id("show", "Ep 1") != episode_id("show", "ep-1")  # different GUIDs, different ids
    assert episode_id("show", "Ep-1") != episode_id("show", "ep-1")  # GUIDs are compared exactly
    assert feed_slug("My Show!", "https://x/feed", set()) == "my-show"
    assert feed_slug("My Show!", "https://y/feed", {"my-show"}).startswith("my-show-")


def test_persons_become_speakers() -> None:
    from corpus.feeds.feed import Person
    from corpus.feeds.to_corpus import speakers

    people = (Person("Jane Host"), Person("김철수", "guest"), Person("이영희", "co-host"), Person("Ed", "editor", "audio post-production"))
    found = speakers(people)
    roles = [(s.name, s.role, s.host) for s in found]
    assert roles == [("Jane Host", "Host", True), ("김철수", "Guest", False), ("이영희", "Co-Host", True)]
    assert found[0].id == "jane-host" and found[0].aliases == ("Jane Host", "Jane")
    assert len({s.id for s in found}) == 3 and found[1].id.startswith("person-")


def test_chapters() -> None:
    chapters = parse_chapters((FIXTURES / "ep1.chapters.json").read_bytes())
    assert [c.title for c in chapters] == ["Welcome", "Yeast as a queue", "Scaling out the kitchen"]
    assert chapters[1].url == "https://loopback-talks.example/yeast"
    odd = {"version": "1.2.0", "chapters": [
        {"startTime": 9, "title": "b"}, {"startTime": 1, "title": "a"}, {"startTime": "x", "title": "c"},
        {"startTime": 2}, {"startTime": True, "title": "d"}, "junk",
    ]}
    assert [c.title for c in parse_chapters(json.dumps(odd).encode())] == ["a", "b"]
    for bad in (b"not json", b"[]", b'{"chapters": 3}'):
        with pytest.raises(ValueError, match="chapters"):
            parse_chapters(bad)


def test_date_arguments() -> None:
    assert parse_date("2025-10-06", "after") == "2025-10-06" and parse_date(None, "after") is None and parse_date("", "x") is None
    for bad in ("2025-02-30", "2025-1-1", "06/10/2025", "2025-10-06T00:00", "２０２５-10-06", "x" * 1000):
        with pytest.raises(InvalidQuery, match="YYYY-MM-DD"):
            parse_date(bad, "after")
    with pytest.raises(InvalidQuery, match="later than"):
        date_range("2025-02-01", "2025-01-01")
    assert in_range("2025-01-05T08:00:00Z", "2025-01-05", "2025-01-05") and not in_range(None, "2025-01-01", None)
    assert in_range(None, None, None)


def test_the_sidecar_checks_published() -> None:
    assert EpisodeSpec(id="a", published="2025-10-06").published == "2025-10-06"
    assert EpisodeSpec(id="a", published="2025-10-06T17:00:00Z").published == "2025-10-06T17:00:00Z"
    for bad in ("yesterday", "2025-13-01", "2025-10-06x"):
        with pytest.raises(ValueError, match="ISO date"):
            EpisodeSpec(id="a", published=bad)


def test_a_token_in_a_hand_written_feed_url_is_not_served(tmp_path: Path) -> None:
    from corpus import catalog
    from corpus.index.build import build_index
    from corpus.store import CorpusStore

    corpus = tmp_path / "corpus"
    hand_made(corpus, "old", feed="https://me:pw@x.example/feed?token=s3cret")
    build_index(corpus, tmp_path / "index.sqlite")
    store = CorpusStore(tmp_path / "index.sqlite")
    assert store.episodes["old"].feed == "https://x.example/feed"
    assert catalog.list_episodes(store).episodes[0].feed == "https://x.example/feed"
    store.close()


def test_a_date_at_the_ends_of_the_calendar_does_not_stop_the_index(tmp_path: Path) -> None:
    from corpus.dates import published_day
    from corpus.index.build import build_index
    from corpus.store import CorpusStore

    assert published_day("9999-12-31T23:30:00-01:00") == "9999-12-31"  # UTC would be past the last date
    assert published_day("0001-01-01T00:30:00+01:00") == "0001-01-01"
    corpus = tmp_path / "corpus"
    for identity, published in (("last", "9999-12-31T23:30:00-01:00"), ("first", "0001-01-01T00:30:00+01:00")):
        hand_made(corpus, identity, published=published)
    report = build_index(corpus, tmp_path / "index.sqlite")
    assert report.errors == [] and len(report.indexed) == 2
    CorpusStore(tmp_path / "index.sqlite").close()


def test_a_repeated_guid_takes_its_first_item_whole(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    other = VTT.replace(b"WEBVTT", b"WEBVTT\n\nNOTE the second item's", 1)
    first = item("dup", "first.vtt|text/vtt").replace("Episode dup", "First title")
    second = item("dup", "second.vtt|text/vtt").replace("Episode dup", "Second title")
    source = local_feed(tmp_path / "feed", "Dups", first + second, {"first.vtt": VTT, "second.vtt": other})
    report = ingest_local(source, corpus)
    assert report.added == ["dups-dup"] and any("repeats the GUID 'dup'" in w for w in report.warnings)
    spec = read_sidecar(corpus / "dups-dup" / SIDECAR_NAME)
    assert spec.title == "First title"  # the first item's metadata, and its transcript with it
    assert (corpus / "dups-dup" / spec.sources[0].path).read_bytes() == VTT


def test_one_strict_date_parser_and_days_in_utc(tmp_path: Path) -> None:
    from corpus.dates import published_day
    from corpus.index.build import build_index
    from corpus.store import CorpusStore
    from mcp_server.cli import build_parser

    for bad in ("2025-10-06Tjunk", "20251006", "2025-10-06T25:00", "2025-10-06T10:00:00+9"):
        with pytest.raises(ValueError, match="ISO date"):
            EpisodeSpec(id="a", published=bad)
    assert EpisodeSpec(id="a", published="2025-10-06 09:30+09:00").published == "2025-10-06 09:30+09:00"
    with pytest.raises(InvalidQuery):
        parse_date("20250101", "after")
    with pytest.raises(SystemExit):  # --since takes what the date filters take, no more
        build_parser().parse_args(["ingest", "--feed", "x.xml", "--since", "20250101"])
    assert build_parser().parse_args(["ingest", "--feed", "x.xml", "--since", "2025-01-01"]).since.isoformat() == "2025-01-01"
    assert [published_day(v) for v in ("2025-10-06T23:30:00-05:00", "2025-10-06T01:00:00+09:00", "2025-10-06T23:30", "2025-10-06")] == [
        "2025-10-07", "2025-10-05", "2025-10-06", "2025-10-06"]
    assert in_range("2025-10-06T23:30:00-05:00", "2025-10-07", "2025-10-07")
    corpus = tmp_path / "corpus"
    hand_made(corpus, "late", published="2025-10-06T23:30:00-05:00")
    build_index(corpus, tmp_path / "index.sqlite")
    store = CorpusStore(tmp_path / "index.sqlite")
    assert store.published == [("late", "2025-10-07")]  # the same UTC day a feed's date gives
    store.close()


def test_urls_other_than_http_are_refused() -> None:
    assert check_url("https://example.com/feed.xml")
    for bad in ("file:///etc/passwd", "ftp://host/x", "javascript:alert(1)", "/relative", "http://"):
        with pytest.raises(FetchFailed):
            check_url(bad)


def test_feeds_that_are_not_feeds() -> None:
    for data, reason in ((b"", "not an RSS"), (b"<html><body>hi</body></html>", "not an RSS"),
                         ((FIXTURES / "bomb.xml").read_bytes(), "XML entities"), ((FIXTURES / "broken.xml").read_bytes(), "not an RSS")):
        with pytest.raises(FeedError, match=reason):
            parse_feed(data, "feed.xml")


def test_an_atom_feed_and_a_feed_without_guids() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:podcast="https://podcastindex.org/namespace/1.0">
      <title>Atom Show</title><entry><id>tag:x,2025:1</id><title>One</title><updated>2025-05-01T10:00:00Z</updated>
      <link href="https://x/1"/><podcast:transcript url="https://x/1.vtt" type="text/vtt"/></entry></feed>"""
    feed = parse_feed(atom, "atom")
    episode = feed.episodes[0]
    assert (feed.title, episode.guid, episode.published, episode.link) == ("Atom Show", "tag:x,2025:1", "2025-05-01T10:00:00Z", "https://x/1")
    assert [t.url for t in episode.transcripts] == ["https://x/1.vtt"]
    bare = parse_feed(b'<rss version="2.0"><channel><title>t</title><item><title>no id</title></item></channel></rss>', "bare")
    assert bare.episodes == () and "no GUID" in bare.warnings[0]


def test_state_round_trip_and_a_damaged_state(tmp_path: Path) -> None:
    record = FeedRecord(slug="x", etag='"1"', episodes={"g": IngestedEpisode(episode_id="x-g", transcript="u")})
    state = FeedState(feeds={"https://x/feed": record})
    save_state(tmp_path, state)
    assert load_state(tmp_path) == state and load_state(tmp_path / "nowhere") == FeedState()
    (tmp_path / "feeds.json").write_text("{")
    with pytest.raises(CorpusError, match="feed list"):
        load_state(tmp_path)


def test_writing_an_episode_replaces_it_whole(tmp_path: Path) -> None:
    spec = EpisodeSpec(id="show-1", title="One", sources=(SourceSpec(path="transcript.vtt", format="webvtt"),))
    vtt = (FIXTURES / "ep5.vtt").read_bytes()
    write_episode(tmp_path, spec, {"transcript.vtt": vtt, "old.txt": b"x"})
    write_episode(tmp_path, spec.model_copy(update={"title": "One again"}), {"transcript.vtt": vtt})
    assert sorted(p.name for p in (tmp_path / "show-1").iterdir()) == [SIDECAR_NAME, "transcript.vtt"]
    assert read_sidecar(tmp_path / "show-1" / SIDECAR_NAME).title == "One again"
    assert [p.name for p in tmp_path.iterdir()] == ["show-1"]  # no temporary folder left


def test_html_transcripts(tmp_path: Path) -> None:
    cited = parse_file(FIXTURES / "ep3.html", "html")
    assert [(t.speaker, t.start) for t in cited.turns] == [("Jane Host", 0.0)]  # one speaker: one turn
    assert "web page & that works" in cited.turns[0].text and "not text" not in cited.turns[0].text
    plain = tmp_path / "plain.html"
    plain.write_text("<html><body><h1>Show</h1><p>Ann: Hello <b>there</b>.</p><p>Bob: Hi!<br>Again</p><style>p{}</style></body></html>")
    assert [(t.speaker, t.text) for t in parse_file(plain, "html").turns] == [(None, "Show"), ("Ann", "Hello there."), ("Bob", "Hi! Again")]
    empty = tmp_path / "empty.html"
    empty.write_text("<html><head><script>x()</script></head><body></body></html>")
    with pytest.raises(ParseError, match="no text"):
        parse_file(empty, "html")


def test_the_feed_modules_do_not_make_indexes_stale() -> None:
    """Feed code writes corpus files (which the index hashes); editing it must not rebuild every index.
    Every name in READERS is a real module, so a typo cannot silently count a reader as shaping the index."""
    from corpus.index.build import _CODE_DIR, READERS

    assert all((_CODE_DIR / name).is_file() for name in READERS)
    assert {p.relative_to(_CODE_DIR).as_posix() for p in (_CODE_DIR / "feeds").glob("*.py")} <= READERS
    assert "parse/html_transcript.py" not in READERS  # a parser shapes the index


def test_entities_are_refused_only_where_a_dtd_can_be() -> None:
    """A show about XML may write `<!ENTITY` in a description: only the prolog is checked."""
    described = b'<rss version="2.0"><channel><title>XML Show</title><item><guid>1</guid>' \
                b"<description><![CDATA[How <!ENTITY declarations work]]></description></item></channel></rss>"
    assert parse_feed(described, "xml-show").episodes[0].guid == "1"
    padded = b'<?xml version="1.0"?>' + b"<!-- padding -->" * 10_000 + b'<!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"/>'
    with pytest.raises(FeedError, match="XML entities"):
        parse_feed(padded, "padded")


# --- review fixes: local feeds ingested end to end ---------------------------------------------

VTT = (FIXTURES / "ep5.vtt").read_bytes()
PODCAST_NS = "https://podcastindex.org/namespace/1.0"


def local_feed(folder: Path, title: str | None, items: str, files: dict[str, bytes] | None = None, name: str = "feed.xml") -> str:
    """A feed file in `folder` (with its transcript files beside it); its path, as `ingest --feed` takes it."""
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, data in (files or {}).items():
        (folder / file_name).write_bytes(data)
    head = f"<title>{title}</title>" if title is not None else ""
    (folder / name).write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:podcast="{PODCAST_NS}"><channel>{head}'
        f"<language>en</language>{items}</channel></rss>", encoding="utf-8")
    return str(folder / name)


def item(guid: str, *transcripts: str, chapters: str | None = None, date: str = "Mon, 06 Jan 2025 09:00:00 GMT") -> str:
    links = "".join(f'<podcast:transcript url="{url}" type="{kind}"{f" language={chr(34)}{lang}{chr(34)}" if lang else ""}/>'
                    for url, kind, lang in (t.split("|") + [""] * (3 - len(t.split("|"))) for t in transcripts))
    extra = f'<podcast:chapters url="{chapters}" type="application/json+chapters"/>' if chapters else ""
    return f"<item><title>Episode {guid}</title><guid>{guid}</guid><pubDate>{date}</pubDate>{links}{extra}</item>"


def ingest_local(source: str, corpus: Path, **options: object) -> FeedReport:
    from corpus.feeds.fetch import Fetcher, FetchLimits

    with Fetcher(FetchLimits(timeout=0.5, retries=0, backoff=0.0)) as fetcher:
        return ingest_feed(source, corpus, fetcher, **options)  # type: ignore[arg-type]


def hand_made(corpus: Path, identity: str, **fields: object) -> Path:
    """An episode folder made by hand (not from a feed), its sidecar given `fields` too."""
    folder = corpus / identity
    folder.mkdir(parents=True)
    (folder / "transcript.vtt").write_bytes(VTT)
    sidecar = {"id": identity, "title": "Mine", "sources": [{"path": "transcript.vtt"}], **fields}
    (folder / SIDECAR_NAME).write_text(json.dumps(sidecar))
    return folder


def test_a_hand_made_folder_with_the_feeds_id_is_never_overwritten(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    mine = hand_made(corpus, "notes-1")
    source = local_feed(tmp_path / "feed", "Notes", item("1", "t.vtt|text/vtt"), {"t.vtt": VTT})
    report = ingest_local(source, corpus)
    assert not report.errors and len(report.added) == 1 and report.added[0] != "notes-1"
    assert report.added[0].startswith("notes-")
    assert read_sidecar(mine / SIDECAR_NAME).title == "Mine" and (mine / "transcript.vtt").read_bytes() == VTT
    assert read_sidecar(corpus / report.added[0] / SIDECAR_NAME).guid == "1"
    again = ingest_local(source, corpus)
    assert (again.skipped, again.added, again.updated, again.errors) == (1, [], [], [])  # the same id: no flip-flop
    assert read_sidecar(mine / SIDECAR_NAME).title == "Mine"


def test_an_episode_keeps_the_id_it_holds_when_the_state_is_gone(tmp_path: Path) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    mine = hand_made(corpus, "notes-1")
    source = local_feed(tmp_path / "feed", "Notes", item("1", "t.vtt|text/vtt"), {"t.vtt": VTT})
    held = ingest_local(source, corpus).added
    assert len(held) == 1 and held != ["notes-1"]
    shutil.rmtree(mine)  # the hand-made episode that pushed it onto another id goes,
    (corpus / "feeds.json").unlink()  # and so does the state (what its error message suggests when it is damaged)
    again = ingest_local(source, corpus)
    assert not again.errors and not (corpus / "notes-1").exists()  # the episode kept its id: not ingested twice
    guids = [read_sidecar(p / SIDECAR_NAME).guid for p in corpus.iterdir() if (p / SIDECAR_NAME).is_file()]
    assert guids == ["1"]


def test_two_feeds_whose_ids_run_together_keep_their_own_episodes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    tech = local_feed(tmp_path / "a", "Tech", item("talk-5", "t.vtt|text/vtt"), {"t.vtt": VTT})
    tech_talk = local_feed(tmp_path / "b", "Tech Talk", item("5", "t.vtt|text/vtt"), {"t.vtt": VTT})
    first, second = ingest_local(tech, corpus), ingest_local(tech_talk, corpus)
    assert first.added == ["tech-talk-5"] and len(second.added) == 1 and second.added[0] != "tech-talk-5"
    for _ in range(2):
        assert ingest_local(tech, corpus).skipped == 1 and ingest_local(tech_talk, corpus).skipped == 1
    owners = {read_sidecar(p / SIDECAR_NAME).guid for p in corpus.iterdir() if p.is_dir()}
    assert owners == {"talk-5", "5"}
    assert read_sidecar(corpus / "tech-talk-5" / SIDECAR_NAME).feed == tech


def test_an_episode_whose_folder_was_replaced_by_a_hand_made_one_is_not_written_over_it(tmp_path: Path) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Notes", item("1", "t.vtt|text/vtt"), {"t.vtt": VTT})
    assert ingest_local(source, corpus).added == ["notes-1"]
    shutil.rmtree(corpus / "notes-1")
    hand_made(corpus, "notes-1")
    report = ingest_local(source, corpus)
    assert len(report.added) == 1 and report.added[0] != "notes-1"
    assert read_sidecar(corpus / "notes-1" / SIDECAR_NAME).title == "Mine"


def test_hostile_transcripts_and_chapters_fail_only_their_candidate_or_episode(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    deep = b"[" * 100_000
    items = (item("a", "bad.html|text/html", "t.txt|text/plain")  # the HTML parser asserts on `<![:`: the text is taken
             + item("b", "deep.json|application/json")  # nested beyond the recursion limit: this episode fails
             + item("c", "t.vtt|text/vtt", chapters="deep.chapters.json"))  # chapters skipped, episode kept
    source = local_feed(tmp_path / "feed", "Hostile", items,
                        {"bad.html": b"<html><body><p>Ann: hi</p><![: x</body></html>", "t.vtt": VTT, "deep.json": deep,
                         "deep.chapters.json": deep, "t.txt": (FIXTURES / "ep1.txt").read_bytes()})
    report = ingest_local(source, corpus)
    assert sorted(report.added) == ["hostile-a", "hostile-c"]
    assert [(e.guid, e.url) for e in report.errors] == [("b", "deep.json")]
    assert "RecursionError" in str(report.errors[0]) and f"feed {source}" in str(report.errors[0])
    assert any("episode a: took t.txt instead: bad.html: not a readable html transcript: AssertionError" in w for w in report.warnings)
    assert any("episode c: deep.chapters.json: chapters skipped: chapters are not readable: RecursionError" in w for w in report.warnings)


def test_an_unexpected_error_fails_one_episode_or_one_feed_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpus.feeds.run as run

    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Odd", item("a", "t.vtt|text/vtt") + item("b", "t.vtt|text/vtt"), {"t.vtt": VTT})
    real = run.episode_spec

    def spec_failing_for_a(*args: Any) -> EpisodeSpec:
        if args[2].guid == "a":
            raise RuntimeError("boom")
        return real(*args)

    monkeypatch.setattr(run, "episode_spec", spec_failing_for_a)
    report = ingest_local(source, corpus)
    assert report.added == ["odd-b"] and [(e.guid, e.reason) for e in report.errors] == [
        ("a", "stopped by an unexpected error (RuntimeError: boom)")]

    def broken_parse(data: bytes, feed: str) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(run, "parse_feed", broken_parse)
    failed = ingest_local(source, corpus)
    assert [str(e) for e in failed.errors] == [f"feed {source}: stopped by an unexpected error (RecursionError: deep)"]


def test_a_state_file_that_cannot_be_saved_fails_the_feed_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpus.feeds.run as run

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "save_record", full_disk)
    source = local_feed(tmp_path / "feed", "Full", item("a", "t.vtt|text/vtt"), {"t.vtt": VTT})
    report = ingest_local(source, tmp_path / "corpus")
    assert report.errors and all("No space left on device" in str(e) for e in report.errors)


def test_the_transcript_url_recorded_is_the_one_used(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Fallback", item("a", "gone.json|application/json", "t.vtt|text/vtt"), {"t.vtt": VTT})
    first = ingest_local(source, corpus)
    assert first.added == ["fallback-a"] and any("took t.vtt instead: gone.json: no such file" in w for w in first.warnings)
    held = load_state(corpus).feeds[source].episodes["a"]
    assert (held.transcript, held.retry) == ("t.vtt", False)  # a missing file: not a failure a retry would fix
    assert ingest_local(source, corpus).skipped == 1


def test_an_interrupted_write_leaves_the_old_episode_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpus.feeds.to_corpus as to_corpus
    from corpus.load import load_episode

    spec = EpisodeSpec(id="show-1", title="One", sources=(SourceSpec(path="transcript.vtt", format="webvtt"),))
    write_episode(tmp_path, spec, {"transcript.vtt": VTT})
    real = os.replace

    def killed_at_the_sidecar(src: Any, dst: Any) -> None:
        if Path(dst).name == SIDECAR_NAME:
            raise OSError(5, "killed")
        real(src, dst)

    monkeypatch.setattr(to_corpus.os, "replace", killed_at_the_sidecar)
    newer = VTT.replace(b"lighthouses", b"harbours")
    with pytest.raises(OSError, match="killed"):
        write_episode(tmp_path, spec.model_copy(update={"title": "Two"}), {"transcript.vtt": newer})
    monkeypatch.setattr(to_corpus.os, "replace", real)
    loaded = load_episode(tmp_path / "show-1")  # the old sidecar, and the file it names, as they were
    assert loaded.episode.title == "One" and "lighthouses" in loaded.episode.turns[0].text["en"]
    write_episode(tmp_path, spec.model_copy(update={"title": "Two"}), {"transcript.vtt": newer})
    again = load_episode(tmp_path / "show-1")
    assert again.episode.title == "Two" and "harbours" in again.episode.turns[0].text["en"]
    assert [p.name for p in (tmp_path / "show-1").iterdir() if p.name != SIDECAR_NAME] == [again.episode.sources[0].path.split("/")[-1]]


def _last_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_an_interrupted_run_are_swept(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Sweep", item("a", "t.vtt|text/vtt"), {"t.vtt": VTT})
    assert ingest_local(source, corpus).added == ["sweep-a"]
    ended = _last_pid()
    (corpus / f".sweep-b.{ended}.new").mkdir()
    (corpus / f".sweep-b.{ended}.new" / "episode.json.part").write_text("{}")
    (corpus / "sweep-a" / f".transcript.vtt.{ended}.tmp").write_bytes(b"half")
    assert ingest_local(source, corpus).skipped == 1
    assert sorted(p.name for p in corpus.iterdir()) == ["feeds.json", "sweep-a"]
    assert sorted(p.name for p in (corpus / "sweep-a").iterdir()) == [SIDECAR_NAME, "transcript.vtt"]


def test_the_sweep_touches_nothing_it_did_not_write(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Sweep", item("a", "t.vtt|text/vtt"), {"t.vtt": VTT})
    assert ingest_local(source, corpus).added == ["sweep-a"]
    ended = _last_pid()
    backup = corpus / f".backup.{ended}.new"  # a user's folder that only looks like a leftover
    backup.mkdir()
    (backup / "precious.txt").write_text("keep me")
    live = corpus / f".sweep-c.{os.getpid()}.new"  # a run still going (this process)
    live.mkdir()
    (live / "episode.json.part").write_text("{}")
    drafts = corpus / "drafts"  # a user's folder with a file of that name: not a feed episode's sidecar
    drafts.mkdir()
    (drafts / "episode.json.part").write_text("{}")
    assert ingest_local(source, corpus).skipped == 1
    assert (backup / "precious.txt").read_text() == "keep me" and (live / "episode.json.part").exists()
    assert (drafts / "episode.json.part").exists() and not (drafts / SIDECAR_NAME).exists()


def test_a_new_folder_never_shows_an_index_a_temporary_episode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the new folder is renamed into place but before its sidecar is: no episode.json is ever
    in a temporary folder (the index would read it), and the next run finishes the folder."""
    import corpus.feeds.to_corpus as to_corpus
    from corpus.load import episode_folders

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = local_feed(tmp_path / "feed", "Late", item("a", "t.vtt|text/vtt") + item("b", "t.vtt|text/vtt"), {"t.vtt": VTT})
    real, seen = os.replace, []

    def killed_once(src: Any, dst: Any) -> None:
        seen.extend(str(folder) for folder in episode_folders(corpus) if folder.name.startswith("."))
        if Path(dst).name == SIDECAR_NAME and Path(dst).parent.name == "late-a":
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(to_corpus.os, "replace", killed_once)
    with pytest.raises(KeyboardInterrupt):
        ingest_local(source, corpus)
    monkeypatch.setattr(to_corpus.os, "replace", real)
    assert seen == [] and not (corpus / "late-a" / SIDECAR_NAME).exists()
    report = ingest_local(source, corpus)
    assert sorted(p.name for p in (corpus / "late-a").iterdir()) == [SIDECAR_NAME, "transcript.vtt"]
    assert read_sidecar(corpus / "late-a" / SIDECAR_NAME).guid == "a" and "late-b" in report.added
    assert report.skipped + len(report.updated) + len(report.added) == 2 and not report.errors


def test_an_episode_whose_folder_is_gone_is_fetched_again_when_the_feed_is(tmp_path: Path) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    source = local_feed(tmp_path / "feed", "Gone", item("a", "t.vtt|text/vtt"), {"t.vtt": VTT})
    ingest_local(source, corpus)
    shutil.rmtree(corpus / "gone-a")
    assert ingest_local(source, corpus).added == ["gone-a"] and (corpus / "gone-a" / SIDECAR_NAME).is_file()


def billion_laughs(encoding: str) -> bytes:
    levels = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    text = (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
            '<rss version="2.0"><channel><title>&l9;</title><item><guid>1</guid></item></channel></rss>')
    return text.encode(encoding)


def test_entity_declarations_are_refused_in_any_encoding_and_behind_any_comment() -> None:
    for data in (billion_laughs("utf-16"), billion_laughs("utf-16-le"), billion_laughs("utf-8"),
                 b'<?xml version="1.0"?><!DOCTYPE rss [<!-- <rss> --><!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                 b'<rss version="2.0"><channel><title>&b;</title><item><guid>1</guid></item></channel></rss>',
                 b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "x">]><rss version="2.0"><channel><title>&a; &nbsp; Q&A'
                 b"</title><item><guid>1</guid></item></channel></rss>"):  # not well-formed too
        with pytest.raises(FeedError, match="declares XML entities"):
            parse_feed(data, "bomb")


def test_a_feed_with_common_xml_mistakes_keeps_its_transcripts() -> None:
    data = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:pod="{PODCAST_NS}"><channel>'
            "<title>Q&A&nbsp;Hour</title><pod:person>Jane Host</pod:person>"
            '<item><title>Caf\xe9</title><guid><![CDATA[qa-1]]></guid><pod:transcript url="https://x/1.vtt" type="text/vtt"/>'
            '<pod:chapters url="https://x/1.chapters.json" type="application/json+chapters"></pod:chapters></item>'
            '<item><title>Two &amp; more</title><guid>qa-2</guid><pod:transcript url="https://x/2.srt" type="application/x-subrip" '
            'language="ko"/><pod:person role="guest">Ann Guest</pod:person></item></channel></rss>').encode("latin-1")
    feed = parse_feed(data, "sloppy")
    assert not feed.warnings and not feed.partial
    one, two = feed.episodes
    assert (one.guid, [t.url for t in one.transcripts], one.chapters_url) == ("qa-1", ["https://x/1.vtt"], "https://x/1.chapters.json")
    assert [p.name for p in one.persons] == ["Jane Host"]  # the channel's
    assert (two.guid, [(t.url, t.language) for t in two.transcripts], [p.name for p in two.persons]) == (
        "qa-2", [("https://x/2.srt", "ko")], ["Ann Guest"])


def test_a_feed_whose_tags_cannot_be_read_at_all_is_marked_partial() -> None:
    data = f'<rss version="2.0" xmlns:podcast="{PODCAST_NS}"><channel><title>T</title><item><guid>1</guid></item><![: </channel></rss>'
    feed = parse_feed(data.encode(), "odd")
    assert feed.partial and "could not be read" in feed.warnings[0]


def test_an_episode_in_more_languages_than_an_index_holds_keeps_the_first(tmp_path: Path) -> None:
    from corpus.index.build import build_index
    from corpus.index.schema import SLOTS

    corpus = tmp_path / "corpus"
    languages = ["en", "ko", "de", "fr", "es", "it", "ja", "pt", "nl", "sv"]
    links = [f"t.{lang}.vtt|text/vtt|{lang}" for lang in languages]
    source = local_feed(tmp_path / "feed", "Polyglot", item("a", *links), {f"t.{lang}.vtt": VTT for lang in languages})
    report = ingest_local(source, corpus)
    assert report.added == ["polyglot-a"] and not report.errors
    assert any(f"10 languages, an index holds {SLOTS} at most; translations skipped: nl, sv" in w for w in report.warnings)
    spec = read_sidecar(corpus / "polyglot-a" / SIDECAR_NAME)
    assert [s.language for s in spec.sources] == languages[:SLOTS]
    build_index(corpus, tmp_path / "index.sqlite")  # no "the index holds 8 languages already"


def test_two_runs_take_turns_and_keep_each_others_feeds(tmp_path: Path) -> None:
    import threading

    from corpus.feeds.state import feed_lock, save_record

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = local_feed(tmp_path / "feed", "Turns", item("a", "t.vtt|text/vtt"), {"t.vtt": VTT})
    results: list[FeedReport] = []
    with feed_lock(corpus):
        worker = threading.Thread(target=lambda: results.append(ingest_local(source, corpus)))
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and not (corpus / "turns-a").exists()  # waiting for the lock
        save_record(corpus, "https://other/feed", FeedRecord(slug="other"))  # another run's feed
    worker.join(10)
    assert results[0].added == ["turns-a"]
    assert set(load_state(corpus).feeds) == {"https://other/feed", source}  # merged, not overwritten


def test_feed_text_slugs_and_languages_from_odd_feeds() -> None:
    from corpus.sidecar import public_url

    assert feed_slug("한국 팟캐스트", "https://podcasts.example.kr/feed.xml", set()) == "podcasts-example-kr-feed-xml"
    assert feed_slug("한국 팟캐스트", "/home/me/피드", set()).startswith("feed-")
    assert feed_slug(None, "https://x.example/feed.xml?token=abc", set()) == "x-example-feed-xml"
    assert feed_slug("X", "https://x/feed", set()) == "x"
    assert public_url("https://me:pw@Host.example:8443/p/feed.xml?token=abc#f") == "https://host.example:8443/p/feed.xml"
    assert (language_code("english"), language_code("en_US"), language_code("kor"), language_code("en-")) == (None, "en", "kor", "en")
    data = (f'<rss version="2.0" xmlns:podcast="{PODCAST_NS}"><channel><title>Bell\x07 Show\x1b[31m</title>'
            "<item><title>One\x1b two\ttabs</title><guid>g\x1b1</guid><podcast:person>Ann\u0085 Lee</podcast:person></item>"
            "</channel></rss>").encode()
    feed = parse_feed(data, "controls")
    assert feed.title == "Bell Show[31m" and feed.episodes[0].title == "One two\ttabs" and feed.episodes[0].guid == "g1"
    assert [p.name for p in feed.episodes[0].persons] == ["Ann Lee"]
    linked = parse_feed((f'<rss version="2.0" xmlns:podcast="{PODCAST_NS}"><channel><title>L</title><item><guid>1</guid>'
                         '<podcast:transcript url="https://x/1.vtt&#x9b;2J" type="text/vtt" language="en&#x85;"/></item>'
                         "</channel></rss>").encode(), "links")
    assert [(t.url, t.language) for t in linked.episodes[0].transcripts] == [("https://x/1.vtt2J", "en")]


def test_the_command_line_says_nothing_with_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    from mcp_server.ingest_cli import _say

    _say("feed x: episode \x1b[2J\x07g: \x9bbad")
    assert capsys.readouterr().err == "feed x: episode [2Jg: bad\n"


def test_bodies_decompress_whole_in_any_chunking() -> None:
    import gzip
    import zlib
    from itertools import pairwise

    from corpus.feeds.fetch import _Inflater

    body = b"WEBVTT\n\n" + b"hello world " * 5000

    def inflate(encoding: str, data: bytes, cuts: list[int]) -> tuple[bytes, bool]:
        inflater = _Inflater("http://127.0.0.1/t.vtt", encoding)
        edges = [0, *cuts, len(data)]
        out = b"".join(piece for start, end in pairwise(edges) for piece in inflater.pieces(data[start:end]))
        return out, inflater.unfinished()

    two_members = gzip.compress(body[:30000]) + gzip.compress(body[30000:])  # gzip may hold several members
    assert inflate("gzip", two_members, list(range(1000, len(two_members), 1000))) == (body, False)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = raw.compress(body) + raw.flush()  # deflate without its zlib header, its first byte alone
    assert inflate("deflate", raw_deflate, [1]) == (body, False)
    assert inflate("deflate", zlib.compress(body), [1]) == (body, False)
    cut_short = gzip.compress(body)[:-10]
    assert inflate("gzip", cut_short, [])[1] is True  # reported as cut short, not taken as the whole body
