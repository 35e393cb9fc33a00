"""The machinery under search: FTS5-exact BM25 in Python, index statistics, champion lists, snippets.

The fast path (`corpus.topk`) must give exactly what the exhaustive SQL query gives, or
decline; these tests compare the two on corpora where the fast path is forced to work.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from bench.synthetic import generate
from corpus import ranking, topk
from corpus import search as search_module
from corpus import store as store_module
from corpus.bm25 import Phrase, idf, impact, read_varint, score, score_body
from corpus.exchanges import Exchanges, rerank
from corpus.index.build import build_index
from corpus.index.champions import ChampionBuilder
from corpus.model import Turn
from corpus.query import fts_group, fts_match, parse_query
from corpus.recent import Recent
from corpus.search import Searcher
from corpus.snippets import match_spans
from corpus.store import CorpusStore
from corpus.text_norm import fold_typography, is_hangul
from corpus.tokenize import HANGUL_RUN, LATIN_WORD, document_spans, hangul_bigrams, index_terms, stem
from corpus.topk import TurnFilter, ranked_in_sql, ranked_page, top_turns

QUERIES = [
    "agent builder", "Codex", "evals traces", "Apps SDK", "에이전트 빌더", "코덱스", "프롬프트 최적화",
    "\"chat kit\"", "widget*", "what is the service health dashboard", "Sora API video", "the",
]


def _phrases(searcher: Searcher, query: str) -> tuple[list[Phrase], str]:
    expansion = searcher.expand(parse_query(query))
    phrases = list({fts_group(t): Phrase(t.terms, t.prefix) for t in expansion.terms}.values())
    return phrases, fts_match(expansion.terms)


@pytest.mark.parametrize("query", QUERIES)
def test_python_bm25_equals_fts5(store: CorpusStore, searcher: Searcher, query: str) -> None:
    phrases, match = _phrases(searcher, query)
    rows = store.rows("SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?", (match,))
    assert rows, query
    documents, tokens = store.fts_totals
    idfs = [idf(documents, store.phrase_hits(p)) for p in phrases]
    bodies = dict(store.rows("SELECT pk, body FROM docs"))
    for doc, expected in rows:
        assert score(bodies[doc].split(), phrases, idfs, tokens / documents) == pytest.approx(expected, rel=1e-12), (query, doc)


def test_index_statistics_match_fts5(store: CorpusStore) -> None:
    bodies = store.rows("SELECT pk, body FROM docs")
    documents, tokens = store.fts_totals
    assert documents == len(bodies)
    assert tokens == sum(len(body.split()) for _, body in bodies)
    for doc, size in store.rows("SELECT id, sz FROM fts_docsize"):
        assert read_varint(bytes(size), 0)[0] == len(next(b for d, b in bodies if d == doc).split())
    df = dict(store.rows("SELECT term, df FROM terms"))
    for term in random.Random(3).sample(sorted(df), 300):
        assert df[term] == store.rows("SELECT COUNT(*) FROM fts WHERE fts MATCH ?", ('"' + term + '"',))[0][0], term
    for pk, _ in bodies[:50]:
        assert pk >> 3 == store.rows("SELECT turn_pk FROM docs WHERE pk = ?", (pk,))[0][0]


def test_index_terms_equal_document_spans(store: CorpusStore) -> None:
    for (data,) in store.rows("SELECT data FROM turns"):
        for text in json.loads(data)["text"].values():
            assert index_terms(text) == [s.term for s in document_spans(text)]


def _reference_spans(text: str, wanted: set[str], prefixes: set[str]) -> list[tuple[int, int]]:
    """The obvious implementation: every word stemmed, every bigram looked at."""
    spans = []
    for m in LATIN_WORD.finditer(text):
        term = stem(m.group())
        if term in wanted or any(term.startswith(p) for p in prefixes):
            spans.append((m.start(), m.end()))
    for m in HANGUL_RUN.finditer(text):
        for i, gram in enumerate(hangul_bigrams(m.group())):
            if gram in wanted or any(gram.startswith(p) for p in prefixes):
                spans.append((m.start() + i, m.start() + i + len(gram)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def test_snippet_matches_equal_the_reference(store: CorpusStore) -> None:
    texts = [" ".join(fold_typography(t).split()) for (d,) in store.rows("SELECT data FROM turns") for t in json.loads(d)["text"].values()]
    vocabulary = sorted({t for text in texts for t in index_terms(text)})
    rng = random.Random(11)
    for _ in range(1500):
        wanted = set(rng.sample(vocabulary, rng.randint(1, 4)))
        prefixes = {w[: rng.randint(1, 3)] for w in rng.sample(vocabulary, rng.randint(0, 2))}
        prefixes = {p for p in prefixes if is_hangul(p[0]) or len(p) >= 2}  # queries never make a 1-letter Latin prefix
        for text in rng.sample(texts, 3):
            assert match_spans(text, wanted, prefixes) == _reference_spans(text, wanted, prefixes), (wanted, prefixes, text[:60])


# --- champion lists on a corpus large enough to need them -------------------------------------------

CHAMPIONS = 12


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    corpus = root / "corpus"
    generate(corpus, 40, turns=30, seed=5)
    index = root / "index.sqlite"
    build_index(corpus, index, champion_size=CHAMPIONS)
    return corpus, index


def _compare(index: Path, seed: int) -> tuple[int, int]:
    """(queries, proved): every proved answer must equal the exhaustive one."""
    store = CorpusStore(index)
    searcher = Searcher(store)
    terms = [t for (t,) in store.rows("SELECT term FROM terms WHERE df >= 20 ORDER BY term")]
    speakers = sorted(store.speakers)
    rng = random.Random(seed)
    proved = 0
    total = 150
    for _ in range(total):
        phrases, match = _phrases(searcher, " ".join(rng.sample(terms, rng.choice([1, 1, 2, 3]))))
        wanted = rng.choice([
            TurnFilter(), TurnFilter(), TurnFilter(slot=rng.choice([0, 1])),
            TurnFilter(speaker=rng.choice(speakers)), TurnFilter(start=60, end=900),
        ])
        need = rng.choice([1, 3, 5])
        fast = top_turns(store, phrases, wanted, need)
        slow = ranked_in_sql(store, match, wanted, None, need)
        if fast is None:
            continue
        proved += 1
        assert [(r.turn_pk, r.slot) for r in fast] == [(r.turn_pk, r.slot) for r in slow], (phrases, wanted)
        assert [r.score for r in fast] == pytest.approx([r.score for r in slow], rel=1e-9)
    store.close()
    return total, proved


@pytest.mark.parametrize(("whole", "multi"), [(300, 800), (5, 40), (0, 0)])
def test_champion_answers_equal_the_exhaustive_ones(
    synthetic: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, whole: int, multi: int
) -> None:
    """With small budgets the proof rests on the floors alone; with none, on their sum."""
    monkeypatch.setattr(topk, "WHOLE_PHRASE", whole)
    monkeypatch.setattr(topk, "MULTI_MATCH", multi)
    total, proved = _compare(synthetic[1], seed=1)
    assert proved >= total // 5, f"the fast path proved only {proved} of {total}"


def test_champion_lists_stay_sound_through_incremental_builds(synthetic: tuple[Path, Path], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic[0], corpus)
    index = tmp_path / "index.sqlite"
    build_index(corpus, index, champion_size=CHAMPIONS)
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    shutil.rmtree(folders[3])  # removed
    changed = next(folders[7].glob("transcript.*"))
    changed.write_text(changed.read_text(encoding="utf-8").replace("model", "model model"), encoding="utf-8")
    generate(corpus, 4, turns=30, seed=9, start=100)  # added
    report = build_index(corpus, index, champion_size=CHAMPIONS)
    assert not report.rebuilt and len(report.removed) == 1 and len(report.indexed) == 5
    total, proved = _compare(index, seed=2)
    assert proved >= total // 3


def test_search_is_the_same_on_either_path(synthetic: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    store = CorpusStore(synthetic[1])
    searcher = Searcher(store)
    speaker = sorted(store.speakers)[0]
    cases = [
        {"query": "model"}, {"query": "agents evaluation"}, {"query": "latency", "language": "en"},
        {"query": "tokens", "speaker": speaker}, {"query": "model", "start": "00:01:00", "end": "00:15:00"},
        {"query": "에이전트"}, {"query": "모델 평가"}, {"query": "model", "cursor": None, "limit": 2},
    ]
    proved = []

    def counted(*args: object, **kwargs: object) -> object:
        found = top_turns(*args, **kwargs)  # type: ignore[arg-type]
        proved.append(found is not None)
        return found

    monkeypatch.setattr(ranking, "top_turns", counted)
    monkeypatch.setattr(store_module, "SMALL_INDEX", 0)
    monkeypatch.setattr(search_module, "RERANK_POSTINGS", 0)  # the plain BM25 order, which the champion lists serve
    monkeypatch.setattr(search_module, "EXACT_POSTINGS", 0)
    fast = [searcher.search(**{"limit": 3, **case}) for case in cases]  # type: ignore[arg-type]
    assert sum(proved) >= len(cases) // 2, proved
    tried = len(proved)
    monkeypatch.setattr(search_module, "EXACT_POSTINGS", 10**12)
    slow = [searcher.search(**{"limit": 3, **case}) for case in cases]  # type: ignore[arg-type]
    assert len(proved) == tried  # the second pass never tried the fast path
    for case, a, b in zip(cases, fast, slow, strict=True):
        assert a.total == b.total, case
        assert [h.turn_id for h in a.hits] == [h.turn_id for h in b.hits], case
        assert [h.language for h in a.hits] == [h.language for h in b.hits], case
        assert a.next_cursor == b.next_cursor, case
    store.close()


def _opened(index: Path) -> tuple[CorpusStore, Searcher, list[str], list[str]]:
    """The store, a searcher, the index terms in at least 20 documents, the speaker ids."""
    store = CorpusStore(index)
    terms = [t for (t,) in store.rows("SELECT term FROM terms WHERE df >= 20 ORDER BY term")]
    return store, Searcher(store), terms, sorted(store.speakers)


def _every_hit(searcher: Searcher, query: str, **filters: object) -> list[str]:
    """Turn ids of every hit, page after page."""
    ids: list[str] = []
    cursor = None
    while True:
        page = searcher.search(query, limit=50, cursor=cursor, **filters)  # type: ignore[arg-type]
        ids += [h.turn_id for h in page.hits]
        if page.next_cursor is None:
            assert len(ids) == page.total
            return ids
        cursor = page.next_cursor


@pytest.mark.parametrize("rerank_postings", [10**12, 0])
def test_filters_and_pages_keep_one_order(
    synthetic: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, rerank_postings: int
) -> None:
    """Re-ranked by exchanges or not, a filtered search lists the turns the unfiltered one lists,
    in the same order, and two pages of five are the first ten."""
    monkeypatch.setattr(store_module, "SMALL_INDEX", 0)  # the large-corpus code paths
    monkeypatch.setattr(search_module, "EXACT_POSTINGS", 0)
    monkeypatch.setattr(search_module, "RERANK_POSTINGS", rerank_postings)
    store, searcher, terms, speakers = _opened(synthetic[1])
    rng = random.Random(3)
    kept = 0
    for _ in range(12):
        query = " ".join(rng.sample(terms, rng.choice([1, 2, 3])))
        everything = _every_hit(searcher, query)
        first = searcher.search(query, limit=5)
        second = searcher.search(query, limit=5, cursor=first.next_cursor) if first.next_cursor else None
        assert [h.turn_id for h in first.hits] + ([h.turn_id for h in second.hits] if second else []) == everything[:10]
        for extra in ({"speaker": rng.choice(speakers)}, {"start": "00:01:00", "end": "00:12:00"}):
            ids = _every_hit(searcher, query, **extra)
            assert ids == [t for t in everything if t in set(ids)], (query, extra)
            kept += len(ids)
    assert kept > 50
    store.close()


def test_sql_reranking_is_the_reference_reranking(synthetic: tuple[Path, Path]) -> None:
    """reranked_page (one SQL statement) against corpus.exchanges.rerank over every match, filters after;
    reranked_in_memory against reranked_page."""
    store, searcher, terms, speakers = _opened(synthetic[1])
    rng = random.Random(4)
    compared = 0
    meta = {pk: (speaker, start) for pk, speaker, start in store.rows("SELECT pk, speaker, start_seconds FROM turns")}
    question_of = dict(store.rows("SELECT pk, answers FROM turns WHERE answers IS NOT NULL"))
    episode_pks = sorted(store.episode_pks.values())
    for _ in range(40):
        phrases, match = _phrases(searcher, " ".join(rng.sample(terms, rng.choice([1, 2, 3]))))
        wanted = rng.choice(
            [TurnFilter(), TurnFilter(slot=rng.choice([0, 1])), TurnFilter(speaker=rng.choice(speakers)), TurnFilter(start=60, end=900)]
        )
        every, _ = ranked_page(store, match, TurnFilter(slot=wanted.slot), None, -1)
        facts = Exchanges({r.turn_pk: -r.score for r in every}, question_of)
        expected = [(pk, -score) for pk, score in rerank([r.turn_pk for r in every], facts) if wanted.accepts(*meta[pk])]
        matching = ranking.Matching(match, phrases, wanted)
        found, total = ranking.reranked_page(store, matching, 10**6)
        assert [(r.turn_pk, r.score) for r in found] == expected
        assert total == (len(expected) or None)
        # the in-memory re-ranking of small indexes: the same page, scores, slots and number,
        # for any page (a negative limit is no limit, as in SQL), within one episode too
        assert ranking.reranked_in_memory(store, matching, 10**6) == (found, total)
        offset = rng.randrange(len(expected) + 12)
        for limit in (5, 1, 0, -1):
            assert ranking.reranked_in_memory(store, matching, limit, offset) == ranking.reranked_page(store, matching, limit, offset)
        within = ranking.Matching(match, phrases, wanted, store.episode_docs(rng.choice(episode_pks)))
        assert ranking.reranked_in_memory(store, within, 10**6) == ranking.reranked_page(store, within, 10**6)
        compared += len(expected)
    assert compared > 500
    store.close()


def test_exchanges_reorder_the_synthetic_corpus(synthetic: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthetic corpus has hosts who ask: re-ranking must change some orders there (or the
    test above would prove nothing about it)."""
    store = CorpusStore(synthetic[1])
    searcher = Searcher(store)
    terms = [t for (t,) in store.rows("SELECT term FROM terms WHERE df >= 20 ORDER BY term")]
    queries = [" ".join(random.Random(n).sample(terms, 2)) for n in range(20)]
    reranked = [[h.turn_id for h in searcher.search(q).hits] for q in queries]
    monkeypatch.setattr(search_module, "EXACT_POSTINGS", 0)
    monkeypatch.setattr(search_module, "RERANK_POSTINGS", 0)
    monkeypatch.setattr(store_module, "SMALL_INDEX", 0)
    plain = [[h.turn_id for h in searcher.search(q).hits] for q in queries]
    assert sum(a != b for a, b in zip(reranked, plain, strict=True)) >= 3
    store.close()


def test_scoring_a_body_equals_scoring_its_tokens() -> None:
    rng = random.Random(1)
    vocabulary = ["a", "b", "ab", "c", "에이", "이전", "전트", "model", "mod"]
    for _ in range(5000):
        tokens = [rng.choice(vocabulary) for _ in range(rng.randint(1, 30))]
        phrases = [
            Phrase(tuple(rng.choice(vocabulary) for _ in range(rng.randint(1, 3))), rng.random() < 0.3)
            for _ in range(rng.randint(1, 3))
        ]
        idfs = [rng.random() for _ in phrases]
        assert score_body(" ".join(tokens), phrases, idfs, 12.0) == score(tokens, phrases, idfs, 12.0), (tokens, phrases)


def test_fast_path_declines_terms_fts5_may_fold_differently(synthetic: tuple[Path, Path]) -> None:
    """unicode61 folds µ into μ (Python's lower() does not): such terms go the exhaustive way."""
    store = CorpusStore(synthetic[1])
    assert top_turns(store, [Phrase(("µs",)), Phrase(("model",))], TurnFilter(), 3) is None
    assert top_turns(store, [Phrase(("model",))], TurnFilter(), 3) is not None
    store.close()


def test_a_rolled_back_episode_leaves_no_champion_entries(tmp_path: Path) -> None:
    """An episode with a ninth language is refused whole; the build goes on and stays consistent."""
    corpus = tmp_path / "corpus"
    generate(corpus, 3, turns=10, seed=4)
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    source = next(folders[0].glob("transcript.*"))
    spec = json.loads((folders[0] / "episode.json").read_text(encoding="utf-8"))
    for code in ("de", "fr", "es", "it", "pt", "ja", "zh", "nl"):  # with en: nine languages
        shutil.copyfile(source, folders[0] / f"transcript.{code}{source.suffix}")
        spec["sources"].append({"path": f"transcript.{code}{source.suffix}", "role": "translation", "language": code})
    (folders[0] / "episode.json").write_text(json.dumps(spec), encoding="utf-8")
    index = tmp_path / "index.sqlite"
    report = build_index(corpus, index, champion_size=4)
    assert len(report.errors) == 1 and "languages" in str(report.errors[0])
    assert len(report.indexed) == 2
    store = CorpusStore(index)
    orphans = store.rows("SELECT COUNT(*) FROM champions WHERE doc NOT IN (SELECT pk FROM docs)")[0][0]
    assert orphans == 0
    store.close()


def test_champion_impacts_are_bm25_impacts() -> None:
    """The builder's unrolled arithmetic is corpus.bm25.impact, which the floors' proof relies on."""
    builder = ChampionBuilder(avgdl=37.5, size=10)
    rng = random.Random(2)
    for doc in range(200):
        counts = {"t": rng.randint(1, 5)}
        length, weight = rng.randint(1, 120), rng.choice([0.3, 0.8, 1.0])
        builder.add(doc, counts, length, weight)
        kept = dict((d, -v) for v, d in builder.pending["t"])
        if doc in kept:
            assert kept[doc] == pytest.approx(impact(counts["t"], length, 37.5, weight), rel=1e-12)


def test_turn_cache_keeps_the_turns_it_was_asked_for(index_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """store.turns: the parsed turns of the pks asked (unknown pks left out), whatever the cache holds."""
    monkeypatch.setattr(store_module, "TURN_CACHE", 3)
    store = CorpusStore(index_path)
    expected = {pk: Turn.model_validate_json(data) for pk, data in store.rows("SELECT pk, data FROM turns")}
    rng = random.Random(6)
    pks = sorted(expected)
    for _ in range(50):
        asked = [*rng.sample(pks, rng.randint(1, 6)), max(pks) + 1]
        assert store.turns(asked) == {pk: expected[pk] for pk in asked if pk in expected}
        assert len(store._turns) <= 3
    store.close()


def test_small_index_search_equals_the_sql_path(index_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the bundled corpus, re-ranking in memory gives the results the SQL statement gives, filters and pages
    included (no prefix query: a large index does not re-rank those)."""
    store = CorpusStore(index_path)
    searcher = Searcher(store)
    cases: list[dict[str, object]] = [
        {"query": "agent builder evals"}, {"query": "에이전트 평가"}, {"query": "model", "language": "en", "limit": 4},
        {"query": "prompt optimization", "speaker": "sherwin"}, {"query": "platform", "start": "00:10:00", "end": "00:30:00"},
        {"query": "evals", "episode": "latent-space-devday-2025", "limit": 3},
        {"query": '"agent builder"', "limit": 3},
    ]
    assert store.small

    def pages(case: dict[str, object]) -> tuple[dict[str, object], dict[str, object] | None]:
        first = searcher.search(**case)  # type: ignore[arg-type]
        second = searcher.search(**case, cursor=first.next_cursor) if first.next_cursor else None  # type: ignore[arg-type]
        return first.model_dump(), second.model_dump() if second else None

    in_memory = [pages(case) for case in cases]
    assert all(first["hits"] for first, _ in in_memory)
    monkeypatch.setattr(store_module, "SMALL_INDEX", 0)
    monkeypatch.setattr(search_module, "RERANK_POSTINGS", 10**12)
    assert not store.small
    assert [pages(case) for case in cases] == in_memory
    store.close()


def test_recent_keeps_the_most_recently_used_keys() -> None:
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "a" is now the youngest
    recent.put("c", 3)  # so "b" goes
    assert (recent.get("a"), recent.get("b"), recent.get("c"), len(recent)) == (1, None, 3, 2)
    recent.put("a", 4)
    assert recent.get("a") == 4 and len(recent) == 2
