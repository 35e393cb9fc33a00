"""The podcast corpus: parse transcripts, index them, and query the index.

This package never imports `mcp`: it is usable on its own.

    from corpus import BUNDLED_CORPUS, build_index, CorpusStore, Searcher
    build_index(BUNDLED_CORPUS, Path("index.sqlite"))
    hits = Searcher(CorpusStore(Path("index.sqlite"))).search("Apps SDK").hits
"""

from corpus.errors import CorpusError, IndexError_, InvalidQuery, ParseError, UnknownEpisode, UnknownSpeaker, UnknownTurn
from corpus.index.build import BuildReport, build_index, ensure_index
from corpus.load import BUNDLED_CORPUS, load_episode
from corpus.model import Episode, Launch, Mention, Speaker, Turn
from corpus.search import Searcher, SearchHit, SearchResult
from corpus.store import CorpusStore

__all__ = [
    "BUNDLED_CORPUS",
    "BuildReport",
    "CorpusError",
    "CorpusStore",
    "Episode",
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
