"""Command line: `serve` (stdio by default, or --http), `ingest`, `search`.

`python -m mcp_server` with no arguments serves the bundled corpus over stdio.
Logs go to stderr; in stdio mode stdout carries only the protocol.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from corpus.locations import BUNDLED_CORPUS
from corpus.semantic.embedder import SEMANTIC_ENV

if TYPE_CHECKING:
    from mcp_server.oauth import OAuthSettings


SERVE_DIR_ENV = "PODCAST_CORPUS_SERVE_DIR"  # what `serve` serves without --corpus (the Claude Desktop bundle's setting)


def _serve_corpus(given: Path | None) -> Path:
    """--corpus, else $PODCAST_CORPUS_SERVE_DIR, else the bundled corpus. An empty value, or one a
    host left as an unfilled `${user_config...}` placeholder, means the bundled corpus."""
    if given is not None:
        return given
    value = os.environ.get(SERVE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value and not value.startswith("${") else BUNDLED_CORPUS


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="podcast-corpus-mcp", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="stderr log level (default INFO)"
    )
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the MCP server (stdio unless --http)")
    serve.add_argument(
        "--corpus", type=Path, default=None,
        help=f"corpus directory (default: ${SERVE_DIR_ENV} when set, else the bundled corpus)",
    )
    serve.add_argument("--index", type=Path, default=None, help="index file (default: a per-corpus file in ~/.cache)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="extra Host name clients use (DNS-rebinding protection refuses others); repeatable",
    )
    serve.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES", help="HTTP request body limit (default 1 MiB)")
    serve.add_argument(
        "--workers", default="1", metavar="N",
        help="HTTP server processes sharing the port (default 1; 'auto': one per CPU); the server is stateless",
    )
    serve.add_argument("--auth-issuer", metavar="URL", help="HTTP: require OAuth access tokens (JWTs) from this authorization server")
    serve.add_argument(
        "--auth-audience", metavar="URL",
        help="HTTP: the resource URL tokens must name as audience (default: https://FIRST-ALLOWED-HOST/mcp, else http://HOST:PORT/mcp)",
    )
    serve.add_argument("--auth-scope", action="append", default=[], metavar="S", help="HTTP: a scope every token must carry; repeatable")
    _semantic_flag(serve)

    from mcp_server.ingest_cli import add_ingest_parser

    add_ingest_parser(commands)

    search = commands.add_parser("search", help="search the corpus from the shell and print JSON")
    search.add_argument("query")
    search.add_argument("--language", default="any", choices=["any", "en", "ko"])
    search.add_argument("--speaker")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument(
        "--mode", default="auto", choices=["auto", "words", "meaning"], help="words and meaning fused (auto), or one of them"
    )
    search.add_argument("--after", metavar="DATE", help="only episodes published on or after DATE (YYYY-MM-DD)")
    search.add_argument("--before", metavar="DATE", help="only episodes published on or before DATE (YYYY-MM-DD)")
    search.add_argument("--corpus", type=Path, default=BUNDLED_CORPUS)
    search.add_argument("--index", type=Path, default=None)
    _semantic_flag(search)
    return parser


def _semantic_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-semantic",
        action="store_true",
        help=f"search by words only: no embedding model, and the index holds no vectors (also ${SEMANTIC_ENV}=off)",
    )


def _serve(args: argparse.Namespace) -> int:
    from mcp_server.corpus_handle import CorpusHandle
    from mcp_server.server import create_server

    oauth = _oauth_settings(args)
    if isinstance(oauth, str):
        print(f"error: {oauth}", file=sys.stderr)
        return 2
    corpus = _serve_corpus(args.corpus)
    if not corpus.is_dir():
        source = "--corpus" if args.corpus is not None else f"${SERVE_DIR_ENV}"
        print(f"error: the corpus folder {corpus} does not exist ({source}; make one with 'podcast-corpus-mcp ingest')", file=sys.stderr)
        return 2
    # Over stdio the tools answer on the event loop once the index is open; over HTTP, in worker threads.
    handle = CorpusHandle(corpus, args.index, inline=not args.http)
    server = create_server(handle=handle)
    if args.http:
        from mcp_server.http import serve_http
        from mcp_server.http_workers import worker_count

        try:
            workers = worker_count(args.workers)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

        def only_first_embeds(number: int) -> None:
            handle.embed_missing = number == 0  # one background embedding, not one per worker

        try:
            return serve_http(
                server, host=args.host, port=args.port, allowed_hosts=args.allowed_host, max_body_size=args.max_body,
                workers=workers, before_fork=handle.prepare, in_worker=only_first_embeds, oauth=oauth,
            )
        except OSError as exc:
            print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
    from mcp_server.stdio import run_stdio

    return run_stdio(server)


def _oauth_settings(args: argparse.Namespace) -> OAuthSettings | str | None:
    """The OAuth settings `serve` was given, None without --auth-issuer, or what is wrong with them."""
    if args.auth_issuer is None:
        return "--auth-audience and --auth-scope need --auth-issuer" if args.auth_audience or args.auth_scope else None
    if not args.http:
        return "--auth-issuer is for HTTP mode (serve --http); over stdio the client runs the server itself"
    from mcp_server.http import TOKEN_ENV, env_allowed_hosts
    from mcp_server.oauth import OAuthSettings, default_resource, url_problem

    if os.environ.get(TOKEN_ENV):
        return f"choose one: ${TOKEN_ENV} (a static token) or --auth-issuer (OAuth)"
    for name, url, need_https in (("--auth-issuer", args.auth_issuer, True), ("--auth-audience", args.auth_audience, False)):
        problem = None if url is None else url_problem(url, need_https=need_https)
        if problem is not None:
            return f"{name} {url!r} {problem}"
    resource = args.auth_audience or default_resource(args.host, args.port, [*args.allowed_host, *env_allowed_hosts()])
    if args.auth_audience is None and urlsplit(resource).hostname in ("0.0.0.0", "::"):  # noqa: S104
        logging.getLogger("mcp_server.oauth").warning(
            "OAuth: the resource URL tokens must name is %s, which no client uses; "
            "pass --auth-audience https://PUBLIC-NAME/mcp (or --allowed-host PUBLIC-NAME)", resource,
        )
    logging.getLogger("mcp_server.oauth").info(
        "OAuth: tokens from %s for resource %s%s", args.auth_issuer, resource,
        f" with scope {' '.join(args.auth_scope)}" if args.auth_scope else "",
    )
    return OAuthSettings(issuer=args.auth_issuer, resource=resource, scopes=tuple(args.auth_scope))


def _search(args: argparse.Namespace) -> int:
    from corpus.errors import CorpusError
    from mcp_server.corpus_handle import CorpusHandle

    handle = CorpusHandle(args.corpus, args.index, warm_up=False, embed_missing=False)  # one search: no background work
    try:
        result = handle.searcher.search(
            args.query, language=args.language, speaker=args.speaker, limit=args.limit, mode=args.mode, after=args.after, before=args.before
        )
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.log_level)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "serve"])
    if getattr(args, "no_semantic", False):
        os.environ[SEMANTIC_ENV] = "off"  # read by the index's fingerprint and by the server's embedder alike
    if args.command == "serve":
        return _serve(args)
    if args.command == "search":
        return _search(args)
    if args.command == "ingest":
        from mcp_server.ingest_cli import run_ingest

        return run_ingest(args)
    parser.error(f"unknown command {args.command}")
    return 2
