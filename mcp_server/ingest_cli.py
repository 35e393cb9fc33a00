"""`ingest PATH... [--corpus DIR] [--index FILE]`: add transcripts to a corpus and update its index.

The summary (and every error, with file and line) goes to stderr; a progress
bar is drawn there too when it is a terminal. Exit status 0 when every file
was ingested, 1 when some failed (the others are still ingested).
"""

from __future__ import annotations

import argparse
import os
import sys
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
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="transcript files, episode folders, or folders of either")
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


def run_ingest(args: argparse.Namespace) -> int:
    from corpus.ingest import ProgressBar, ingest
    from mcp_server.corpus_handle import default_index_path

    corpus_dir: Path = args.corpus or default_corpus_dir()
    index_path: Path = args.index or default_index_path(corpus_dir)
    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"error: {path}: no such file or folder", file=sys.stderr)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    report = ingest([p for p in args.paths if p.exists()], corpus_dir, index_path, progress=ProgressBar(sys.stderr) if show else None)
    print(report.summary(), file=sys.stderr)
    print(f"corpus: {corpus_dir}\nindex: {index_path}", file=sys.stderr)
    return 1 if report.errors or missing else 0
