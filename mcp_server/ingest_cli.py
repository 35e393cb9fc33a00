"""`ingest [PATH...] [--feed URL_OR_FILE]... [--refresh] [--corpus DIR] [--index FILE]`: add
transcripts, or the episodes of podcast feeds, to a corpus and update its index.

`--feed` reads an RSS feed (a URL or a local file) and adds every episode that
publishes a transcript (`<podcast:transcript>`), with its title, date, link,
speakers (`<podcast:person>`) and chapters; running it again fetches only what
changed. `--refresh` does that for every feed the corpus has ingested.

The summary (and every error, with file and line, or feed, GUID and URL) goes to
stderr, with progress; a progress bar is drawn there too when it is a terminal.
Exit status 0 when everything was ingested, 1 when something failed (the rest is
still ingested, and nothing already in the corpus is lost).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path

DEFAULT_CORPUS_ENV = "PODCAST_CORPUS_DIR"


def default_corpus_dir() -> Path:
    """`$PODCAST_CORPUS_DIR`, else a folder in the user's data directory."""
    explicit = os.environ.get(DEFAULT_CORPUS_ENV)
    if explicit:
        return Path(explicit)
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "podcast-corpus-mcp" / "corpus"


def add_ingest_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="add transcript files or folders to a corpus directory and update its index",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="transcript files, episode folders, or folders of either")
    ingest.add_argument(
        "--feed", action="append", default=[], metavar="URL_OR_FILE",
        help="an RSS feed (http(s) URL or local file) whose episodes' transcripts to add; repeatable",
    )
    ingest.add_argument("--refresh", action="store_true", help="fetch every feed this corpus has ingested again and add what is new")
    ingest.add_argument("--limit", type=_positive, default=None, metavar="N", help="feeds: the N newest episodes of each feed")
    ingest.add_argument("--since", type=_date, default=None, metavar="DATE", help="feeds: episodes published on or after DATE (YYYY-MM-DD)")
    ingest.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS", help="feeds: HTTP timeout per request (default 20)")
    ingest.add_argument("--retries", type=int, default=2, metavar="N", help="feeds: retries after a timeout, 429 or 5xx (default 2)")
    ingest.add_argument(
        "--corpus", type=Path, default=None,
        help=f"corpus directory to add to (default: ${DEFAULT_CORPUS_ENV} or ~/.local/share/podcast-corpus-mcp/corpus); "
        "serve it with 'serve --corpus DIR'",
    )
    ingest.add_argument("--index", type=Path, default=None, help="index file (default: the one 'serve --corpus DIR' uses)")
    ingest.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: when stderr is a terminal)"
    )
    ingest.add_argument(
        "--no-semantic",
        action="store_true",
        help="index for search by words only: no vectors are computed (embedding is the slow part, about 12 passages/s on 2 cores)",
    )


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {value!r}")
    return int(value)


def _date(value: str) -> date:
    """The same strict 'YYYY-MM-DD' as the search's date filters (corpus.dates)."""
    from corpus.dates import parse_date
    from corpus.errors import InvalidQuery

    try:
        return date.fromisoformat(parse_date(value, "--since") or "")
    except (InvalidQuery, ValueError):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from None


def _say(message: str) -> None:
    """A line to stderr, without control characters (what a feed or a server says may hold escapes)."""
    from corpus.text_norm import strip_controls

    print(strip_controls(message), file=sys.stderr, flush=True)


def _ingest_feeds(args: argparse.Namespace, corpus_dir: Path) -> bool:
    """Every --feed, and with --refresh every feed the corpus knows; True when none failed."""
    from corpus.errors import CorpusError
    from corpus.feeds.fetch import Fetcher, FetchLimits
    from corpus.feeds.run import feed_key, ingest_feed, known_feeds

    sources = list(args.feed)
    if args.refresh:
        try:
            known = known_feeds(corpus_dir)
        except CorpusError as exc:
            _say(f"error: {exc}")
            return False
        if not known and not sources:
            _say(f"error: --refresh: the corpus {corpus_dir} has no feeds yet; add one with --feed URL")
            return False
        sources += known
    unique = list(dict.fromkeys(feed_key(source) for source in sources))
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request: the progress lines say enough
    clean = True
    with Fetcher(FetchLimits(timeout=args.timeout, retries=max(0, args.retries))) as fetcher:
        for source in unique:
            report = ingest_feed(source, corpus_dir, fetcher, limit=args.limit, since=args.since, log=_say)
            for warning in report.warnings:
                _say(f"warning: {warning}")
            for error in report.errors:
                _say(f"error: {error}")
            _say(report.summary())
            clean &= not report.errors
    return clean


def run_ingest(args: argparse.Namespace) -> int:
    from corpus.ingest import ProgressBar, ingest
    from mcp_server.corpus_handle import default_index_path

    if not (args.paths or args.feed or args.refresh):
        _say("error: ingest needs transcript paths, --feed URL_OR_FILE or --refresh")
        return 2
    corpus_dir: Path = args.corpus or default_corpus_dir()
    index_path: Path = args.index or default_index_path(corpus_dir)
    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"error: {path}: no such file or folder", file=sys.stderr)
    feeds_ok = _ingest_feeds(args, corpus_dir) if args.feed or args.refresh else True
    show = sys.stderr.isatty() if args.progress is None else args.progress
    report = ingest([p for p in args.paths if p.exists()], corpus_dir, index_path, progress=ProgressBar(sys.stderr) if show else None)
    print(report.summary(files=bool(args.paths) or not (args.feed or args.refresh)), file=sys.stderr)
    print(f"corpus: {corpus_dir}\nindex: {index_path}", file=sys.stderr)
    return 1 if report.errors or missing or not feeds_ok else 0
