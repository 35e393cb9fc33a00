"""One feed, end to end: fetch it, pick each episode's transcript, write the episode folders.

`ingest_feed(source, corpus_dir, fetcher)` holds the corpus's feed lock, fetches the
feed (a conditional request when the last run was complete: 304 ends the run at
once), reads it, and for each episode that publishes a transcript and is not in the
corpus yet (by GUID, from one of its current transcript URLs, its folder and sidecar
still there): fetches its best transcript (falling back to the next candidate when
one fails), checks that it parses, fetches its chapters (an episode whose chapters
fail is ingested without them), and writes its folder under an id no other episode
holds. One bad episode is reported (feed, GUID, URL, reason) and the others go on,
whatever the error; a failure never removes an episode or leaves one half written
(to_corpus.write_episode), though an episode the run did update keeps its update.
Episodes that left the feed stay in the corpus. Updating the index is the caller's
business (corpus.ingest.ingest).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from corpus.dates import published_day
from corpus.errors import CorpusError, FeedError, ParseError
from corpus.feeds.chapters import parse_chapters
from corpus.feeds.choose import EXTENSIONS, Candidate, candidates
from corpus.feeds.feed import Feed, FeedEpisode, parse_feed
from corpus.feeds.fetch import CHAPTER_TYPES, FEED_TYPES, TRANSCRIPT_TYPES, Fetcher, FetchFailed, check_url
from corpus.feeds.state import FeedRecord, FeedState, IngestedEpisode, feed_lock, load_state, save_record
from corpus.feeds.to_corpus import (
    Owners,
    corpus_owners,
    episode_spec,
    feed_slug,
    free_id,
    is_mine,
    sweep_leftovers,
    write_episode,
)
from corpus.index.schema import SLOTS
from corpus.parse import PARSERS
from corpus.sidecar import SIDECAR_NAME, ChapterSpec, EpisodeSpec, SourceSpec, public_url, read_sidecar

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
    retry: bool = False
    """Some warning is of a failure a later run could get past (chapters, a translation or a transcript
    that timed out or met a 5xx, a feed whose Podcasting 2.0 tags could not be read): the feed's ETag is
    not kept, so that the next run reads the whole feed again."""

    def warn(self, message: str, *, retry: bool = False) -> None:
        self.warnings.append(message)
        self.retry |= retry

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


def _transcript(
    fetcher: Fetcher, key: str, options: list[Candidate], errors: list[tuple[str, str, bool]]
) -> tuple[Candidate, bytes] | None:
    """The first candidate that downloads and parses into timed turns that name their speakers; failing
    that, the first that downloads and parses at all (captions without voices, say). The reasons of
    those that failed go to `errors`, with whether the failure was transient (a timeout, a 5xx):
    whatever a parser raises on a hostile file (an assertion deep in html.parser, a JSON nested
    beyond Python's recursion limit) is that candidate's failure."""
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
            errors.append((url, exc.reason, exc.transient))
            continue
        except UnicodeDecodeError:
            errors.append((url, "not UTF-8 text", False))
            continue
        except ParseError as exc:
            errors.append((url, f"not a readable {candidate.format} transcript: {exc.reason}", False))
            continue
        except Exception as exc:
            errors.append((url, f"not a readable {candidate.format} transcript: {_describe(exc)}", False))
            continue
        if any(turn.speaker for turn in document.turns) and all(turn.start is not None for turn in document.turns):
            return candidate, data
        fallback = fallback or (candidate, data)
    return fallback


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _chapters(fetcher: Fetcher, key: str, episode: FeedEpisode, report: FeedReport) -> tuple[tuple[ChapterSpec, ...] | None, bool]:
    """(The episode's chapters, or None and a warning when they cannot be had; whether a later run should
    try them again: a timeout or a 5xx, not a 404 or a file that does not parse)."""
    if episode.chapters_url is None:
        return (), False
    try:
        return parse_chapters(_fetch_linked(fetcher, key, episode.chapters_url, fetcher.limits.chapters_bytes, CHAPTER_TYPES)), False
    except FetchFailed as exc:
        reason, transient = exc.reason, exc.transient
    except ValueError as exc:
        reason, transient = str(exc), False
    except Exception as exc:  # e.g. RecursionError from a JSON nested too deep
        reason, transient = f"chapters are not readable: {_describe(exc)}", False
    report.warn(f"feed {key}: episode {episode.guid}: {episode.chapters_url}: chapters skipped: {reason}", retry=transient)
    return None, transient


def _selected(feed: Feed, limit: int | None, since: date | None) -> list[FeedEpisode]:
    """The feed's episodes newest first (undated ones after, in feed order), from `since` on, at most `limit`."""
    dated = sorted((e for e in feed.episodes if e.published), key=lambda e: e.published or "", reverse=True)
    episodes = dated + [e for e in feed.episodes if not e.published]
    if since is not None:
        episodes = [e for e in episodes if (day := published_day(e.published)) is not None and day >= since.isoformat()]
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
    """See the module doc. A feed that cannot be fetched or read is a report with one error; so is
    anything unexpected (a bug, a full disk): it never stops the other feeds of a run."""
    key = feed_key(source)
    report = FeedReport(key)
    say = log or (lambda _: None)
    before = fetcher.requests
    try:
        with ExitStack() as held_lock:
            _run(key, corpus_dir, fetcher, report, limit, since, say, held_lock)
    except FeedError as exc:
        report.errors.append(exc)
    except CorpusError as exc:
        report.errors.append(FeedError(key, str(exc)))
    except OSError as exc:
        report.errors.append(FeedError(key, f"cannot write to the corpus {corpus_dir}: {exc.strerror or exc}"))
    except Exception as exc:
        report.errors.append(FeedError(key, f"stopped by an unexpected error ({_describe(exc)})"))
    report.requests = fetcher.requests - before
    return report


@dataclass
class _Context:
    key: str
    corpus_dir: Path
    fetcher: Fetcher
    feed: Feed
    record: FeedRecord
    owners: Owners
    report: FeedReport


def _run(
    key: str, corpus_dir: Path, fetcher: Fetcher, report: FeedReport, limit: int | None, since: date | None, say: Log,
    held_lock: ExitStack,
) -> None:
    if corpus_dir.is_dir():
        held_lock.enter_context(feed_lock(corpus_dir))
        state = load_state(corpus_dir)
        held = state.feeds.get(key)  # this feed's folders only: `--refresh` over many feeds lists each folder once
        sweep_leftovers(corpus_dir, [corpus_dir / e.episode_id for e in (held.episodes.values() if held else ())])
    else:
        state = FeedState()
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
    if not corpus_dir.is_dir():  # only once there is a feed to add: a failure leaves no trace
        corpus_dir.mkdir(parents=True, exist_ok=True)
        held_lock.enter_context(feed_lock(corpus_dir))
        state = load_state(corpus_dir)  # another run may have made it meanwhile
        record = state.feeds.get(key)
    report.title = feed.title
    report.warnings += [f"feed {key}: {warning}" for warning in feed.warnings]
    report.retry |= feed.partial
    if record is None:
        record = FeedRecord(slug=feed_slug(feed.title, key, state.used_slugs(key)), title=feed.title)
    record.title = feed.title or record.title
    context = _Context(key, corpus_dir, fetcher, feed, record, corpus_owners(corpus_dir), report)
    episodes = _selected(feed, limit, since)
    if not feed.episodes:
        report.warnings.append(f"feed {key}: the feed lists no episodes")
    for number, episode in enumerate(episodes, start=1):  # one item per GUID (parse_feed keeps the first)
        try:
            if _one(context, episode, f"episode {number}/{len(episodes)}", say):
                save_record(corpus_dir, key, record)  # an interrupted run keeps what it wrote
        except FeedError as exc:
            report.errors.append(exc)
        except (ValueError, OSError, CorpusError) as exc:  # e.g. metadata the sidecar refuses: this episode only
            report.errors.append(FeedError(key, f"cannot make an episode of it: {_describe(exc)}", guid=episode.guid))
        except Exception as exc:
            report.errors.append(FeedError(key, f"stopped by an unexpected error ({_describe(exc)})", guid=episode.guid))
    complete = limit is None and since is None and not report.errors and not report.retry
    if complete:  # else the next run fetches the whole feed again, for what this one left out or could not get
        record.etag, record.last_modified = fetched_etag, fetched_modified
    else:
        record.etag = record.last_modified = None
    record.checked_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if report.without_transcript and not report.added and not report.skipped and not report.errors:
        report.warnings.append(f"feed {key}: no episode publishes a transcript (<podcast:transcript>); nothing to ingest")
    save_record(corpus_dir, key, record)


def _one(context: _Context, episode: FeedEpisode, progress: str, say: Log) -> bool:
    """Ingest, update or skip one episode; whether its record changed."""
    key, corpus_dir, record, report = context.key, context.corpus_dir, context.record, context.report
    options = candidates(episode.transcripts, context.feed.language)
    if not options:
        report.without_transcript += 1
        return False
    primary_urls = {candidate.link.url for candidate in next(iter(options.values()))}
    held = record.episodes.get(episode.guid)
    old = _held_sidecar(corpus_dir, key, episode, held)
    if held is not None and old is not None and not held.retry and held.transcript in primary_urls:
        changed, chapters_done = _refresh(context, episode, held, old)
        moved = chapters_done and held.chapters != episode.chapters_url
        if moved:
            record.episodes[episode.guid] = held.model_copy(update={"chapters": episode.chapters_url})
        if changed:
            report.updated.append(held.episode_id)
        else:
            report.skipped += 1
        return changed or moved
    say(f"feed {key}: {progress}: {episode.title or episode.guid}")
    if held is not None and (old is not None or held.episode_id not in context.owners):
        identity = held.episode_id  # its own folder, or one that is gone and not taken since
    else:
        identity = free_id(record.slug, key, episode.guid, context.owners)
    used, retry, chapters_done = _episode(context, episode, identity, options)
    context.owners.add(identity, (public_url(key), episode.guid))
    record.episodes[episode.guid] = IngestedEpisode(
        episode_id=identity, transcript=used, chapters=episode.chapters_url if chapters_done else None, retry=retry
    )
    (report.updated if held is not None and old is not None else report.added).append(identity)
    return True


def _held_sidecar(corpus_dir: Path, key: str, episode: FeedEpisode, held: IngestedEpisode | None) -> EpisodeSpec | None:
    """The sidecar of the folder the state says holds the episode, when it is there and is this feed
    episode's (not a folder a user made, or put in its place)."""
    if held is None:
        return None
    path = corpus_dir / held.episode_id / SIDECAR_NAME
    if not path.is_file():
        return None
    try:
        old = read_sidecar(path)
    except ParseError:
        return None
    return old if is_mine((old.feed, old.guid), key, episode.guid) else None


def _episode(context: _Context, episode: FeedEpisode, identity: str, options: dict[str, list[Candidate]]) -> tuple[str, bool, bool]:
    """Write one episode's folder: (the URL its transcript came from, whether something a retry could
    fix failed, whether its chapters were had). FeedError when no transcript in its language can be had."""
    key, feed, report = context.key, context.feed, context.report
    if len(options) > SLOTS:
        dropped = list(options)[SLOTS:]
        report.warnings.append(
            f"feed {key}: episode {episode.guid}: {len(options)} languages, an index holds {SLOTS} at most; "
            f"translations skipped: {', '.join(dropped)}"
        )
        options = dict(list(options.items())[:SLOTS])
    files: dict[str, bytes] = {}
    sources: list[SourceSpec] = []
    used = ""
    retry = False
    for number, (language, choices) in enumerate(options.items()):
        problems: list[tuple[str, str, bool]] = []
        found = _transcript(context.fetcher, key, choices, problems)
        listed = "; ".join(f"{url}: {reason}" for url, reason, _ in problems)
        transient = any(flag for *_, flag in problems)
        if found is None:
            if number == 0:
                reason = problems[0][1] if len(problems) == 1 else f"no transcript could be used: {listed}"
                raise FeedError(key, reason, guid=episode.guid, url=choices[0].link.url)
            report.warn(f"feed {key}: episode {episode.guid}: {language} translation skipped: {listed}", retry=transient)
            retry |= transient
            continue
        candidate, data = found
        if problems:
            report.warn(f"feed {key}: episode {episode.guid}: took {candidate.link.url} instead: {listed}", retry=transient)
            retry |= transient
        if number == 0:
            used = candidate.link.url
        name = "transcript" + ("" if number == 0 else f".{language}") + EXTENSIONS[candidate.format]
        files[name] = data
        role = "transcript" if number == 0 else "translation"
        sources.append(SourceSpec(path=name, format=candidate.format, role=role, language=language))
    chapters, chapters_retry = _chapters(context.fetcher, key, episode, report)
    spec = episode_spec(key, feed, episode, identity, sources, chapters or ())
    try:
        write_episode(context.corpus_dir, spec, files)
    except OSError as exc:
        raise FeedError(key, f"cannot write the episode folder: {exc}", guid=episode.guid) from exc
    return used, retry, not chapters_retry


def _refresh(context: _Context, episode: FeedEpisode, held: IngestedEpisode, old: EpisodeSpec) -> tuple[bool, bool]:
    """Rewrite the sidecar of an episode already in the corpus when what the feed says of it changed
    (its transcript files are kept, not fetched again; its chapters only when their URL changed; when
    they fail, the old ones are kept, and tried again next run when the failure was transient).
    (Whether it changed, whether the chapters need no retry.)"""
    chapters: tuple[ChapterSpec, ...] | None = old.chapters
    retry = False
    if episode.chapters_url != held.chapters:
        chapters, retry = _chapters(context.fetcher, context.key, episode, context.report)
    kept = old.chapters if chapters is None else chapters
    new = episode_spec(context.key, context.feed, episode, held.episode_id, list(old.sources), kept)
    if new == old:
        return False, not retry
    folder = context.corpus_dir / held.episode_id
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())
             if p.is_file() and not p.name.startswith(".") and p.name != SIDECAR_NAME}
    write_episode(context.corpus_dir, new, files)
    return True, not retry


def known_feeds(corpus_dir: Path) -> list[str]:
    """The feeds a corpus has ingested, in the order they were first added (for `ingest --refresh`)."""
    state: FeedState = load_state(corpus_dir)
    return list(state.feeds)
