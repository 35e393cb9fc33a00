"""The pure parts of feed ingest, and the HTML transcript parser and date arguments, on tiny inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.dates import date_range, in_range, parse_date
from corpus.errors import FeedError, InvalidQuery, ParseError
from corpus.feeds.chapters import parse_chapters
from corpus.feeds.choose import candidates, format_of
from corpus.feeds.feed import TranscriptLink, language_code, parse_duration, parse_feed
from corpus.feeds.fetch import FetchFailed, check_url
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
    with pytest.raises(Exception, match="feed list"):
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
