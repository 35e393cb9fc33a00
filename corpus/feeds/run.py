"""One feed, end to end: fetch it, pick each episode's transcript, write the episode folders.

`ingest_feed(source, corpus_dir, fetcher)` fetches the feed (a conditional request
when the last run was complete: 304 ends the run at once), reads it, and for each
episode that publishes a transcript and is not in the corpus yet (by GUID, from
the same transcript URL): fetches its best transcript (falling back to the next
candidate when one fails), checks that it parses, fetches its chapters (an episode
whose chapters fail is ingested without them), and writes its folder. One bad
episode is reported (feed, GUID, URL, reason) and the others go on; nothing in the
corpus is removed or changed by a failure. Episodes that left the feed stay in the
corpus. Updating the index is the caller's business (corpus.ingest.ingest).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from corpus.errors import CorpusError, FeedError, ParseError
from corpus.feeds.chapters import parse_chapters
from corpus.feeds.choose import EXTENSIONS, Candidate, candidates
from corpus.feeds.feed import Feed, FeedEpisode, parse_feed
from corpus.feeds.fetch import CHAPTER_TYPES, FEED_TYPES, TRANSCRIPT_TYPES, Fetcher, FetchFailed, check_url
from corpus.feeds.state import FeedRecord, FeedState, IngestedEpisode, load_state, save_state
from corpus.feeds.to_corpus import episode_id, episode_spec, feed_slug, write_episode
from corpus.parse import PARSERS
from corpus.sidecar import SIDECAR_NAME, ChapterSpec, SourceSpec, read_sidecar

Log = Callable[[str], None]


@dataclass
class FeedReport:
    feed: str
    title: str | None = None
    not_modified: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    """Episodes already in the corpus whose metadata (title, date, people, chapters...) changed: their sidecar is rewritten."""
    skipped: int = 0
    """Episodes already in the corpus, unchanged."""
    without_transcript: int = 0
    errors: list[FeedError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0

    def summary(self) -> str:
        if self.not_modified:
            return f"feed {self.feed}: not modified since the last run (nothing fetched)"
        name = f" ({self.title})" if self.title else ""
        return (
            f"feed {self.feed}{name}: {len(self.added)} new episodes, {len(self.updated)} updated, {self.skipped} unchanged, "
            f"{self.without_transcript} without a transcript, {len(self.errors)} failed"
        )


def is_local(source: str) -> bool:
    return "://" not in source


def feed_key(source: str) -> str:
    """How the corpus names a feed: its URL as given, or a local file's absolute path."""
    return source if not is_local(source) else str(Path(source).expanduser().resolve())


def _read_local(path: Path, max_bytes: int, key: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FeedError(key, f"too large: {size:,} bytes, the limit is {max_bytes:,}")
        return path.read_bytes()
    except OSError as exc:
        raise FeedError(key, f"cannot read: {exc.strerror or exc}") from exc


def _fetch_linked(fetcher: Fetcher, key: str, url: str, max_bytes: int, accepted: tuple[str, ...]) -> bytes:
    """A transcript or chapters file: over http(s), or, for a local feed, a path relative to the feed's folder."""
    if is_local(key) and "://" not in url:
        folder = Path(key).parent
        target = (folder / url).resolve()
        if folder not in target.parents or PurePosixPath(url).is_absolute():
            raise FetchFailed(url, "a local feed's files must be relative paths inside the feed's folder")
        if not target.is_file():
            raise FetchFailed(url, "no such file")
        if target.stat().st_size > max_bytes:
            raise FetchFailed(url, f"too large: more than the limit of {max_bytes:,} bytes")
        return target.read_bytes()
    return fetcher.get(check_url(url), max_bytes=max_bytes, accepted=accepted).body


def _transcript(fetcher: Fetcher, key: str, options: list[Candidate], errors: list[tuple[str, str]]) -> tuple[Candidate, bytes] | None:
    """The first candidate that downloads and parses into timed turns that name their speakers; failing
    that, the first that downloads and parses at all (captions without voices, say). The reasons of
    those that failed go to `errors`."""
    fallback: tuple[Candidate, bytes] | None = None
    for candidate in options:
        url = candidate.link.url
        try:
            data = _fetch_linked(fetcher, key, url, fetcher.limits.transcript_bytes, TRANSCRIPT_TYPES)
            text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
            document = PARSERS[candidate.format](Path(PurePosixPath(url).name or "transcript"), text)
            if not document.turns:
                raise ParseError(url, None, "no turns")
        except FetchFailed as exc:
            errors.append((url, exc.reason))
            continue
        except UnicodeDecodeError:
            errors.append((url, "not UTF-8 text"))
            continue
        except ParseError as exc:
            errors.append((url, f"not a readable {candidate.format} transcript: {exc.reason}"))
            continue
        if any(turn.speaker for turn in document.turns) and all(turn.start is not None for turn in document.turns):
            return candidate, data
        fallback = fallback or (candidate, data)
    return fallback


def _chapters(fetcher: Fetcher, key: str, episode: FeedEpisode, report: FeedReport) -> tuple[ChapterSpec, ...] | None:
    """The episode's chapters; None (and a warning) when they cannot be had."""
    if episode.chapters_url is None:
        return ()
    try:
        return parse_chapters(_fetch_linked(fetcher, key, episode.chapters_url, fetcher.limits.chapters_bytes, CHAPTER_TYPES))
    except FetchFailed as exc:
        reason = exc.reason
    except ValueError as exc:
        reason = str(exc)
    report.warnings.append(f"feed {key}: episode {episode.guid}: {episode.chapters_url}: chapters skipped: {reason}")
    return None


def _selected(feed: Feed, limit: int | None, since: date | None) -> list[FeedEpisode]:
    """The feed's episodes newest first (undated ones after, in feed order), from `since` on, at most `limit`."""
    dated = sorted((e for e in feed.episodes if e.published), key=lambda e: e.published or "", reverse=True)
    episodes = dated + [e for e in feed.episodes if not e.published]
    if since is not None:
        episodes = [e for e in episodes if e.published and e.published[:10] >= since.isoformat()]
    return episodes[:limit] if limit is not None else episodes


def ingest_feed(
    source: str,
    corpus_dir: Path,
    fetcher: Fetcher,
    *,
    limit: int | None = None,
    since: date | None = None,
    log: Log | None = None,
) -> FeedReport:
    """See the module doc. A feed that cannot be fetched or read is a report with one error."""
    key = feed_key(source)
    report = FeedReport(key)
    say = log or (lambda _: None)
    before = fetcher.requests
    try:
        _run(key, corpus_dir, fetcher, report, limit, since, say)
    except FeedError as exc:
        report.errors.append(exc)
    except CorpusError as exc:
        report.errors.append(FeedError(key, str(exc)))
    report.requests = fetcher.requests - before
    return report


def _run(key: str, corpus_dir: Path, fetcher: Fetcher, report: FeedReport, limit: int | None, since: date | None, say: Log) -> None:
    state = load_state(corpus_dir)
    record = state.feeds.get(key)
    say(f"feed {key}: fetching")
    if is_local(key):
        data = _read_local(Path(key), fetcher.limits.feed_bytes, key)
        fetched_etag = fetched_modified = None
    else:
        try:
            fetched = fetcher.get(
                key, max_bytes=fetcher.limits.feed_bytes, accepted=FEED_TYPES,
                etag=record.etag if record else None, last_modified=record.last_modified if record else None,
            )
        except FetchFailed as exc:
            raise FeedError(key, exc.reason, url=exc.url) from None
        if fetched.not_modified:
            report.not_modified = True
            return
        data, fetched_etag, fetched_modified = fetched.body, fetched.etag, fetched.last_modified
    feed = parse_feed(data, key)
    corpus_dir.mkdir(parents=True, exist_ok=True)  # only once there is a feed to add: a failure leaves no trace
    report.title = feed.title
    report.warnings += [f"feed {key}: {warning}" for warning in feed.warnings]
    if record is None:
        record = FeedRecord(slug=feed_slug(feed.title, key, state.used_slugs(key)), title=feed.title)
        state.feeds[key] = record
    record.title = feed.title or record.title
    episodes = _selected(feed, limit, since)
    if not feed.episodes:
        report.warnings.append(f"feed {key}: the feed lists no episodes")
    seen: set[str] = set()
    for number, episode in enumerate(episodes, start=1):
        if episode.guid in seen:
            report.warnings.append(f"feed {key}: episode {episode.guid}: the GUID appears again; the later item is ignored")
            continue
        seen.add(episode.guid)
        options = candidates(episode.transcripts, feed.language)
        if not options:
            report.without_transcript += 1
            continue
        first_url = next(iter(options.values()))[0].link.url
        held = record.episodes.get(episode.guid)
        if held is not None and held.transcript == first_url and (corpus_dir / held.episode_id / SIDECAR_NAME).is_file():
            try:
                changed = _refresh(key, corpus_dir, fetcher, feed, episode, held, report)
            except (ValueError, OSError, CorpusError) as exc:
                report.errors.append(FeedError(key, f"cannot update the episode's metadata: {exc}", guid=episode.guid))
                continue
            if changed:
                report.updated.append(held.episode_id)
                record.episodes[episode.guid] = held.model_copy(update={"chapters": episode.chapters_url})
                save_state(corpus_dir, state)
            else:
                report.skipped += 1
            continue
        say(f"feed {key}: episode {number}/{len(episodes)}: {episode.title or episode.guid}")
        try:
            identity = _episode(key, corpus_dir, fetcher, feed, episode, record.slug, options, report)
        except FeedError as exc:
            report.errors.append(exc)
            continue
        except (ValueError, OSError) as exc:  # e.g. metadata the sidecar refuses: this episode only
            report.errors.append(FeedError(key, f"cannot make an episode of it: {exc}", guid=episode.guid))
            continue
        record.episodes[episode.guid] = IngestedEpisode(episode_id=identity, transcript=first_url, chapters=episode.chapters_url)
        report.added.append(identity)
        save_state(corpus_dir, state)  # an interrupted run keeps what it wrote
    if not report.errors:  # a run with failures fetches the whole feed next time, to retry them
        record.etag, record.last_modified = fetched_etag, fetched_modified
    else:
        record.etag = record.last_modified = None
    record.checked_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if report.without_transcript and not report.added and not report.skipped and not report.errors:
        report.warnings.append(f"feed {key}: no episode publishes a transcript (<podcast:transcript>); nothing to ingest")
    save_state(corpus_dir, state)


def _episode(
    key: str, corpus_dir: Path, fetcher: Fetcher, feed: Feed, episode: FeedEpisode, slug: str,
    options: dict[str, list[Candidate]], report: FeedReport,
) -> str:
    """Write one episode's folder; its id. FeedError when no transcript in its language can be had."""
    files: dict[str, bytes] = {}
    sources: list[SourceSpec] = []
    for number, (language, choices) in enumerate(options.items()):
        problems: list[tuple[str, str]] = []
        found = _transcript(fetcher, key, choices, problems)
        listed = "; ".join(f"{url}: {reason}" for url, reason in problems)
        if found is None:
            if number == 0:
                reason = problems[0][1] if len(problems) == 1 else f"no transcript could be used: {listed}"
                raise FeedError(key, reason, guid=episode.guid, url=choices[0].link.url)
            report.warnings.append(f"feed {key}: episode {episode.guid}: {language} translation skipped: {listed}")
            continue
        candidate, data = found
        if problems:
            report.warnings.append(f"feed {key}: episode {episode.guid}: took {candidate.link.url} instead: {listed}")
        name = "transcript" + ("" if number == 0 else f".{language}") + EXTENSIONS[candidate.format]
        files[name] = data
        role = "transcript" if number == 0 else "translation"
        sources.append(SourceSpec(path=name, format=candidate.format, role=role, language=language))
    identity = episode_id(slug, episode.guid)
    spec = episode_spec(key, feed, episode, identity, sources, _chapters(fetcher, key, episode, report) or ())
    try:
        write_episode(corpus_dir, spec, files)
    except OSError as exc:
        raise FeedError(key, f"cannot write the episode folder: {exc}", guid=episode.guid) from exc
    return identity


def _refresh(
    key: str, corpus_dir: Path, fetcher: Fetcher, feed: Feed, episode: FeedEpisode, held: IngestedEpisode, report: FeedReport
) -> bool:
    """Rewrite the sidecar of an episode already in the corpus when what the feed says of it changed
    (its transcript files are kept, not fetched again; its chapters only when their URL changed).
    Whether it changed."""
    folder = corpus_dir / held.episode_id
    old = read_sidecar(folder / SIDECAR_NAME)
    chapters: tuple[ChapterSpec, ...] | None = old.chapters
    if episode.chapters_url != held.chapters:
        chapters = _chapters(fetcher, key, episode, report)
    new = episode_spec(key, feed, episode, held.episode_id, list(old.sources), old.chapters if chapters is None else chapters)
    if new == old:
        return False
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != SIDECAR_NAME}
    write_episode(corpus_dir, new, files)
    return True


def known_feeds(corpus_dir: Path) -> list[str]:
    """The feeds a corpus has ingested, in the order they were first added (for `ingest --refresh`)."""
    state: FeedState = load_state(corpus_dir)
    return list(state.feeds)
