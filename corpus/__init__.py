"""The podcast corpus: parse transcripts, index them, and query the index.

This package never imports `mcp`: it is usable on its own.

    from corpus import BUNDLED_CORPUS, build_index, CorpusStore, Searcher
    build_index(BUNDLED_CORPUS, Path("index.sqlite"))
    hits = Searcher(CorpusStore(Path("index.sqlite"))).search("Apps SDK").hits
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from corpus.errors import CorpusError, FeedError, IndexError_, InvalidQuery, ParseError, UnknownEpisode, UnknownSpeaker, UnknownTurn

if TYPE_CHECKING:
    from corpus.index.build import BuildReport, build_index, ensure_index
    from corpus.load import load_episode
    from corpus.locations import BUNDLED_CORPUS
    from corpus.model import Episode, Launch, Mention, Speaker, Turn
    from corpus.search import Searcher
    from corpus.search_result import SearchHit, SearchResult
    from corpus.store import CorpusStore

# Imported when first asked for: `from corpus import catalog` (or a server starting up) does
# not load the parsers, the indexer and the query code with their libraries.
_LAZY = {
    "BUNDLED_CORPUS": "corpus.locations",
    "BuildReport": "corpus.index.build",
    "build_index": "corpus.index.build",
    "ensure_index": "corpus.index.build",
    "load_episode": "corpus.load",
    "Episode": "corpus.model",
    "Launch": "corpus.model",
    "Mention": "corpus.model",
    "Speaker": "corpus.model",
    "Turn": "corpus.model",
    "Searcher": "corpus.search",
    "SearchHit": "corpus.search_result",
    "SearchResult": "corpus.search_result",
    "CorpusStore": "corpus.store",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corpus' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BUNDLED_CORPUS",
    "BuildReport",
    "CorpusError",
    "CorpusStore",
    "Episode",
    "FeedError",
    "IndexError_",
    "InvalidQuery",
    "Launch",
    "Mention",
    "ParseError",
    "SearchHit",
    "SearchResult",
    "Searcher",
    "Speaker",
    "Turn",
    "UnknownEpisode",
    "UnknownSpeaker",
    "UnknownTurn",
    "build_index",
    "ensure_index",
    "load_episode",
]
