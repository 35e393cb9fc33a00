"""The machinery under search: index statistics, the ranking, postings, snippets.

The ranking from the postings arrays must give exactly what the reference gives
(tests/ranking_reference.py, written from FTS5's own data): the same turns, order,
scores, language slots and totals. The reference's BM25 is FTS5's `bm25()` to the
last bit when it uses the corpus-wide average length.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from ranking_reference import Exchanges, bm25, rerank, reranked_page

from bench.synthetic import Generator, generate
from corpus import catalog, ranking
from corpus import store as store_module
from corpus.bm25 import Phrase, read_varint
from corpus.errors import CorpusError
from corpus.index import build as build_module
from corpus.index import postings as postings_module
from corpus.index.build import build_index
from corpus.index.postings import MAX_SEGMENTS, PostingsWriter, decode_rows
from corpus.index.schema import SCHEMA
from corpus.model import Turn
from corpus.postings_ranking import reranked_from_postings
from corpus.query import fts_group, fts_match, parse_query
from corpus.ranked import Ranked, TurnFilter
from corpus.recent import Recent
from corpus.search import Searcher
from corpus.snippets import match_spans
from corpus.store import CorpusStore
from corpus.text_norm import fold_typography, is_hangul
from corpus.tokenize import HANGUL_RUN, LATIN_WORD, document_spans, hangul_bigrams, index_terms, stem

QUERIES = [
    "agent builder", "Codex", "evals traces", "Apps SDK", "에이전트 빌더", "코덱스", "프롬프트 최적화",
    "\"chat kit\"", "widget*", "what is the service health dashboard", "Sora API video", "the", "에이*", "\"agent kit\" 빌더",
]


def _phrases(searcher: Searcher, query: str) -> tuple[list[Phrase], str]:
    expansion = searcher.expand(parse_query(query))
    phrases = list({fts_group(t): Phrase(t.terms, t.prefix) for t in expansion.terms}.values())
    return phrases, fts_match(expansion.terms)


def _postings(store: CorpusStore, matching: ranking.Matching, limit: int, offset: int = 0) -> tuple[list[Ranked], int]:
    return reranked_from_postings(store, matching.phrases, matching.wanted, matching.span, limit, offset)


@pytest.mark.parametrize("query", QUERIES)
def test_the_ranking_equals_the_reference_on_the_bundled_corpus(store: CorpusStore, searcher: Searcher, query: str) -> None:
    phrases, match = _phrases(searcher, query)
    for wanted in (TurnFilter(), TurnFilter(slot=0), TurnFilter(slot=1), TurnFilter(speaker="christina"), TurnFilter(start=600)):
        matching = ranking.Matching(match, phrases, wanted)
        expected = reranked_page(store, matching, -1)
        assert expected[1] > 0 or wanted != TurnFilter(), query
        assert _postings(store, matching, -1) == expected, (query, wanted)
        assert ranking.ranked_turns(store, matching, 0, -1) == expected, (query, wanted)


def _fts5_bm25(store: CorpusStore, match: str) -> dict[int, float]:
    return dict(store.rows("SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?", (match,)))


@pytest.mark.parametrize("query", QUERIES)
def test_with_one_average_the_reference_is_fts5s_bm25(store: CorpusStore, searcher: Searcher, query: str) -> None:
    """With one corpus-wide average length, the reference's scores are FTS5's `bm25()` bit for bit:
    its phrase counts, lengths, idf and arithmetic are FTS5's."""
    phrases, match = _phrases(searcher, query)
    expected = _fts5_bm25(store, match)
    assert expected
    assert bm25(store, phrases, average="corpus") == expected, query


def test_many_episodes_weigh_lengths_against_their_own(synthetic: tuple[Path, Path]) -> None:
    """With many episodes too, the reference with one average is FTS5's `bm25()`; with each episode's
    average in each language (what search uses) it matches the same documents and scores most of
    them differently."""
    store, searcher, terms, _ = _opened(synthetic[1])
    rng = random.Random(8)
    compared = differed = 0
    for _ in range(30):
        phrases, match = _phrases(searcher, " ".join(rng.sample(terms, rng.choice([1, 2]))))
        expected = _fts5_bm25(store, match)
        assert bm25(store, phrases, average="corpus") == expected
        own = bm25(store, phrases)
        assert own.keys() == expected.keys()
        compared += len(own)
        differed += sum(own[doc] != expected[doc] for doc in own)
    assert differed > compared / 2 > 500
    store.close()


def _with_long_turns(root: Path, turns: list[str]) -> tuple[CorpusStore, list[str]]:
    """30 synthetic episodes of short turns plus one episode ('long') of the given turns; the store
    and the index terms held 20-400 times, to make queries of."""
    corpus = root / "corpus"
    generate(corpus, 30, turns=40, seed=12)
    folder = corpus / "long"
    folder.mkdir()
    text = "\n\n".join(f"**Host** [00:{i:02d}:00]: {t}" for i, t in enumerate(turns)) + "\n"
    (folder / "transcript.md").write_text(text, encoding="utf-8")
    sidecar = {"id": "long", "title": "Long turns", "sources": [{"path": "transcript.md", "role": "transcript"}]}
    (folder / "episode.json").write_text(json.dumps(sidecar), encoding="utf-8")
    index = root / "index.sqlite"
    assert not build_index(corpus, index).errors
    store = CorpusStore(index)
    held = store.rows("SELECT term FROM postings GROUP BY term HAVING SUM(count) BETWEEN 20 AND 400")
    terms = [t for (t,) in held if t.isascii() and t.isalpha()]
    return store, sorted(terms)


def _synthetic_turns() -> list[str]:
    """The English of three synthetic episodes' turns."""
    generator = Generator(12)
    return [row[2] for number in range(3) for row in generator.episode(number, 40)[2]]


def _first_share(store: CorpusStore, terms: list[str], queries: int) -> float:
    """How often the 'long' episode's turn comes first, over random queries of 2-3 terms."""
    searcher = Searcher(store)
    rng = random.Random(5)
    first = asked = 0
    for _ in range(queries):
        hits = searcher.search(" ".join(rng.sample(terms, rng.choice([2, 3]))), limit=3).hits
        if hits:
            asked += 1
            first += hits[0].episode_id == "long"
    return first / asked


def test_a_few_huge_turns_still_count_as_long(tmp_path: Path) -> None:
    """An episode of one turn of ~3,700 tokens and one of three: against its own average alone, the
    huge turn counted as normal and came first for 80% of these queries; pulled towards the
    corpus's average (PRIOR_DOCUMENTS), it is penalised as long: first for none."""
    store, terms = _with_long_turns(tmp_path, [" ".join(_synthetic_turns()), "thanks for listening"])
    assert _first_share(store, terms, 200) <= 0.05
    store.close()


def test_an_episode_of_paragraphs_does_not_take_over(tmp_path: Path) -> None:
    """Sixteen paragraphs of ~240 tokens among 30 episodes of short cues (~30 tokens a turn): first
    for 35% of these queries against their own average alone, 12% pulled by 20 documents of the
    corpus's average, 2% by PRIOR_DOCUMENTS = 50. (With the corpus-wide average alone,
    test_a_long_turned_episode_among_short_turned_ones_keeps_its_best_turn fails: the tests hold
    the prior from both sides.)"""
    turns = _synthetic_turns()
    random.Random(1).shuffle(turns)
    paragraphs = [" ".join(turns[i : i + 8]) for i in range(0, len(turns), 8)][:16]
    store, terms = _with_long_turns(tmp_path, paragraphs)
    assert _first_share(store, terms, 300) <= 0.05
    store.close()


def test_a_long_turned_episode_among_short_turned_ones_keeps_its_best_turn(tmp_path: Path) -> None:
    """One episode cut in paragraphs among episodes cut in short cues: its turn that says every
    word of the query comes first, not the short turns elsewhere that say one of them."""
    corpus = tmp_path / "corpus"
    generate(corpus, 30, turns=40, seed=12)
    long = corpus / "long-paragraphs"
    long.mkdir()
    filler = "and then we went over the plan again because the details kept changing every week " * 6
    turns = [f"**Host** [00:{m:02d}:00]: {filler} {m}" for m in range(20)]
    turns[7] = (
        "**Host** [00:07:00]: " + filler + " The zorbex committee met the quillon steering group and "
        "agreed on the plinth budget. " + filler
    )
    (long / "transcript.md").write_text("\n\n".join(turns) + "\n", encoding="utf-8")
    sidecar = {"id": "long-paragraphs", "title": "Long paragraphs", "sources": [{"path": "transcript.md", "role": "transcript"}]}
    (long / "episode.json").write_text(json.dumps(sidecar), encoding="utf-8")
    short = sorted(p for p in corpus.iterdir() if p.name.startswith("syn-"))
    for n, folder in enumerate(short[:6]):  # short turns elsewhere, each saying one of the words
        source = next(folder.glob("transcript.*"))
        word = ("zorbex", "quillon", "plinth")[n % 3]
        source.write_text(source.read_text(encoding="utf-8").replace(" the ", f" {word} ", 1), encoding="utf-8")
    index = tmp_path / "index.sqlite"
    assert not build_index(corpus, index).errors
    store = CorpusStore(index)
    hits = Searcher(store).search("zorbex quillon plinth").hits
    assert (hits[0].episode_id, hits[0].ordinal) == ("long-paragraphs", 7), [(h.episode_id, h.ordinal) for h in hits]
    store.close()


def test_fts5_sees_the_tokens_we_index() -> None:
    """Every character of the Basic and Supplementary Multilingual Planes between two letters: FTS5's
    unicode61 tokenizer must split and fold our index terms exactly as we do (the postings and FTS5
    then hold the same tokens, so both ranking paths give one answer)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, tokenize='unicode61 remove_diacritics 0')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(fts, 'instance')")
    expected = {}
    for point in range(0x20000):
        if 0xD800 <= point < 0xE000:
            continue
        terms = index_terms("a" + chr(point) + "b" + chr(point).upper())
        if terms:
            expected[point] = terms
    conn.executemany("INSERT INTO fts (rowid, body) VALUES (?, ?)", [(p, " ".join(t)) for p, t in expected.items()])
    found: dict[int, list[str]] = {}
    for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
        found.setdefault(doc, []).append(term)
    assert [hex(p) for p, terms in expected.items() if found.get(p) != terms] == []


def test_index_statistics_match_fts5(store: CorpusStore) -> None:
    bodies = store.rows("SELECT pk, body FROM docs")
    documents, tokens = store.fts_totals
    assert documents == len(bodies)
    assert tokens == sum(len(body.split()) for _, body in bodies)
    for doc, size in store.rows("SELECT id, sz FROM fts_docsize"):
        assert read_varint(bytes(size), 0)[0] == len(next(b for d, b in bodies if d == doc).split())
    for pk, _ in bodies[:50]:
        assert pk >> 3 == store.rows("SELECT turn_pk FROM docs WHERE pk = ?", (pk,))[0][0]


def test_postings_hold_every_instance_of_every_term(store: CorpusStore) -> None:
    """Rebuilt from the document bodies: each term's documents, counts, lengths and offsets."""
    expected: dict[str, list[tuple[int, int, int, list[int]]]] = {}
    for pk, body in store.rows("SELECT pk, body FROM docs ORDER BY pk"):
        tokens = body.split()
        offsets: dict[str, list[int]] = {}
        for at, token in enumerate(tokens):
            offsets.setdefault(token, []).append(at)
        for term, where in offsets.items():
            expected.setdefault(term, []).append((pk, len(where), len(tokens), where))
    rows: dict[str, list[tuple[object, ...]]] = {}
    for term, *row in store.rows("SELECT term, count, wide, docs, freqs, lens, positions FROM postings ORDER BY term, segment"):
        rows.setdefault(term, []).append(tuple(row))
    assert set(rows) == set(expected)
    for term, found in rows.items():
        postings = decode_rows(found)
        want = expected[term]
        assert postings.docs.tolist() == [d for d, _, _, _ in want], term
        assert postings.freqs.tolist() == [f for _, f, _, _ in want], term
        assert postings.lens.tolist() == [n for _, _, n, _ in want], term
        assert postings.positions is not None and postings.positions.tolist() == [p for *_, where in want for p in where], term
    # the FTS5 side agrees on which documents hold a term
    for term in random.Random(3).sample(sorted(rows), 200):
        fts = [r[0] for r in store.rows("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid", ('"' + term + '"',))]
        assert fts == [d for d, _, _, _ in expected[term]], term


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


# --- a corpus large enough for the postings path ---------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    corpus = root / "corpus"
    generate(corpus, 40, turns=30, seed=5)
    index = root / "index.sqlite"
    build_index(corpus, index)
    return corpus, index


def _opened(index: Path) -> tuple[CorpusStore, Searcher, list[str], list[str]]:
    """The store, a searcher, the index terms in at least 20 documents, the speaker ids."""
    store = CorpusStore(index)
    terms = [t for (t,) in store.rows("SELECT term FROM postings GROUP BY term HAVING SUM(count) >= 20 ORDER BY term")]
    return store, Searcher(store), terms, sorted(store.speakers)


def _random_query(rng: random.Random, terms: list[str]) -> str:
    """Words, a quoted phrase, or a prefix (Latin or Hangul) made of index terms."""
    words = rng.sample(terms, rng.choice([1, 2, 3]))
    shape = rng.random()
    if shape < 0.2:
        return '"' + " ".join(words) + '"'
    if shape < 0.35:
        word = words[0]
        return (word[:1] if not word.isascii() else word[:3]) + "*"
    return " ".join(words)


def _compare_with_reference(index: Path, seed: int, queries: int) -> int:
    """Random queries, filters, episodes and pages: the postings path against the reference; returns the hits compared."""
    store, searcher, terms, speakers = _opened(index)
    rng = random.Random(seed)
    episodes = sorted(store.episode_pks.values())
    compared = 0
    for _ in range(queries):
        query = _random_query(rng, terms)
        phrases, match = _phrases(searcher, query)
        wanted = rng.choice([
            TurnFilter(), TurnFilter(), TurnFilter(slot=rng.choice([0, 1])), TurnFilter(speaker=rng.choice(speakers)),
            TurnFilter(start=60, end=900), TurnFilter(slot=0, speaker=rng.choice(speakers), start=30),
        ])
        span = store.episode_docs(rng.choice(episodes)) if rng.random() < 0.2 else None
        matching = ranking.Matching(match, phrases, wanted, span)
        expected = reranked_page(store, matching, -1)
        assert _postings(store, matching, -1) == expected, (query, wanted, span)
        offset = rng.randrange(expected[1] + 3)
        for limit in (10, 1, 0):
            assert _postings(store, matching, limit, offset) == reranked_page(store, matching, limit, offset), (query, limit, offset)
        compared += expected[1]
    store.close()
    return compared


def test_postings_ranking_equals_the_reference(synthetic: tuple[Path, Path]) -> None:
    assert _compare_with_reference(synthetic[1], seed=1, queries=150) > 5000


def test_postings_stay_exact_through_incremental_builds(synthetic: tuple[Path, Path], tmp_path: Path) -> None:
    """Removed, changed and added episodes, the last one (highest turn pks) changed twice: no stale
    posting is ever counted, turn pks are never reused, and the dead postings go at a merge."""
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic[0], corpus)
    index = tmp_path / "index.sqlite"
    build_index(corpus, index)
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    shutil.rmtree(folders[3])  # removed
    changed = next(folders[7].glob("transcript.*"))
    changed.write_text(changed.read_text(encoding="utf-8").replace("model", "model model"), encoding="utf-8")
    generate(corpus, 4, turns=30, seed=9, start=100)  # added: their turns get the highest pks
    report = build_index(corpus, index)
    assert not report.rebuilt and len(report.removed) == 1 and len(report.indexed) == 5
    newest = max((p for p in corpus.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime_ns)
    for round_ in range(2):  # the episode with the highest pks, re-indexed: its new turns must not take the old pks
        source = next(newest.glob("transcript.*"))
        source.write_text(source.read_text(encoding="utf-8").replace("agent", f"agent{round_}"), encoding="utf-8")
        assert len(build_index(corpus, index).indexed) == 1
    assert _compare_with_reference(index, seed=3, queries=60) > 1000
    with sqlite3.connect(index) as conn:
        dead = int(conn.execute("SELECT value FROM meta WHERE key = 'postings_dead'").fetchone()[0])
        stored = conn.execute("SELECT SUM(postings) FROM postings_segments").fetchone()[0]
        live = sum(len(set(body.split())) for (body,) in conn.execute("SELECT body FROM docs"))
        assert stored == live + dead and dead > 0
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir())[:20]:  # half the corpus changes: enough dead postings to merge
        source = next(folder.glob("transcript.*"))
        source.write_text(source.read_text(encoding="utf-8").replace("the", "the the"), encoding="utf-8")
    build_index(corpus, index)
    with sqlite3.connect(index) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'postings_dead'").fetchone()[0] == "0"
        assert conn.execute("SELECT COUNT(*) FROM postings_segments").fetchone()[0] == 1
        stored = conn.execute("SELECT SUM(postings) FROM postings_segments").fetchone()[0]
        assert stored == sum(len(set(body.split())) for (body,) in conn.execute("SELECT body FROM docs"))
    assert _compare_with_reference(index, seed=4, queries=30) > 500


def test_segments_are_merged(synthetic: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build from scratch leaves one segment; one that adds many leaves at most MAX_SEGMENTS."""
    monkeypatch.setattr(postings_module, "FLUSH_TOKENS", 500)  # a segment every episode or so
    corpus = tmp_path / "corpus"
    shutil.copytree(synthetic[0], corpus)
    index = tmp_path / "index.sqlite"
    build_index(corpus, index)
    segments = "SELECT COUNT(*), COUNT(DISTINCT segment) FROM postings_segments JOIN postings USING (segment)"
    with sqlite3.connect(index) as conn:
        assert conn.execute("SELECT COUNT(*) FROM postings_segments").fetchone()[0] == 1
    generate(corpus, 16, turns=30, seed=8, start=200)
    build_index(corpus, index)
    with sqlite3.connect(index) as conn:
        assert conn.execute("SELECT COUNT(*) FROM postings_segments").fetchone()[0] == MAX_SEGMENTS
        assert conn.execute(segments).fetchone()[1] == MAX_SEGMENTS
    assert _compare_with_reference(index, seed=5, queries=40) > 1000


def test_long_documents_get_wide_rows() -> None:
    """Offsets past 65,535 do not fit uint16: such a term's row is stored as uint32."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    writer = PostingsWriter(conn)
    long_doc = ["filler"] * 70_000 + ["rare", "filler", "rare"]
    writer.add([(8, ["rare", "short"]), (16, long_doc)])
    with pytest.raises(CorpusError, match="pks must only grow"):
        writer.add([(24, ["fine"]), (16, ["late"])])  # refused whole: 24 is not taken either
    writer.flush()
    rows = {term: row for term, *row in conn.execute("SELECT term, count, wide, docs, freqs, lens, positions FROM postings")}
    assert rows["short"][1] == 0 and rows["rare"][1] == 1
    rare = decode_rows([tuple(rows["rare"])])
    assert rare.docs.tolist() == [8, 16] and rare.freqs.tolist() == [1, 2] and rare.lens.tolist() == [2, 70_003]
    assert rare.positions is not None and rare.positions.tolist() == [0, 70_000, 70_002]
    assert "fine" not in rows


def _plain_order(relevance: dict[int, float]) -> list[int]:
    """Turn pks by BM25 times the length prior alone: no exchanges."""
    return [pk for pk, _ in sorted(relevance.items(), key=lambda item: (item[1], item[0]))[:10]]


def test_the_reference_reranks_by_the_rule(synthetic: tuple[Path, Path]) -> None:
    """The reference page against the re-ranking rule (ranking_reference.rerank) over every match,
    filters after; and exchanges do change orders on this corpus (or the comparisons above would
    prove little)."""
    store, searcher, terms, speakers = _opened(synthetic[1])
    rng = random.Random(4)
    compared = reordered = 0
    meta = {pk: (speaker, start) for pk, speaker, start in store.rows("SELECT pk, speaker, start_seconds FROM turns")}
    question_of = dict(store.rows("SELECT pk, answers FROM turns WHERE answers IS NOT NULL"))
    weight = dict(store.rows("SELECT pk, weight FROM turns"))
    for _ in range(40):
        phrases, match = _phrases(searcher, " ".join(rng.sample(terms, rng.choice([1, 2, 3]))))
        wanted = rng.choice(
            [TurnFilter(), TurnFilter(slot=rng.choice([0, 1])), TurnFilter(speaker=rng.choice(speakers)), TurnFilter(start=60, end=900)]
        )
        relevance: dict[int, float] = {}
        for doc, rank in sorted(bm25(store, phrases).items()):
            if wanted.slot is not None and doc & 7 != wanted.slot:
                continue
            value = rank * weight[doc >> 3]
            relevance[doc >> 3] = min(value, relevance.get(doc >> 3, value))
        facts = Exchanges({pk: -value for pk, value in relevance.items()}, question_of)
        expected = [(pk, -score) for pk, score in rerank(sorted(relevance), facts) if wanted.accepts(*meta[pk])]
        found, total = reranked_page(store, ranking.Matching(match, phrases, wanted), -1)
        assert [(r.turn_pk, r.score) for r in found] == expected
        assert total == len(expected)
        compared += len(expected)
        if wanted == TurnFilter():
            reordered += [r.turn_pk for r in found[:10]] != _plain_order(relevance)
    assert compared > 500 and reordered >= 3
    store.close()


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


def test_filters_and_pages_keep_one_order(synthetic: tuple[Path, Path]) -> None:
    """A filtered search lists the turns the unfiltered one lists, in the same order, and two
    pages of five are the first ten."""
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


def test_a_rolled_back_episode_leaves_no_postings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An episode with a ninth language is refused whole; the build goes on and stays consistent,
    FTS5 included, with its rows written in batches of a few documents (between episodes)."""
    monkeypatch.setattr(build_module, "FTS_BATCH_DOCUMENTS", 25)  # episodes of 10-20 documents: some rows wait for the end
    corpus = tmp_path / "corpus"
    generate(corpus, 5, turns=10, seed=4)
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    source = next(folders[0].glob("transcript.*"))
    spec = json.loads((folders[0] / "episode.json").read_text(encoding="utf-8"))
    for code in ("de", "fr", "es", "it", "pt", "ja", "zh", "nl"):  # with en: nine languages
        shutil.copyfile(source, folders[0] / f"transcript.{code}{source.suffix}")
        spec["sources"].append({"path": f"transcript.{code}{source.suffix}", "role": "translation", "language": code})
    (folders[0] / "episode.json").write_text(json.dumps(spec), encoding="utf-8")
    index = tmp_path / "index.sqlite"
    report = build_index(corpus, index)
    assert len(report.errors) == 1 and "languages" in str(report.errors[0])
    assert len(report.indexed) == 4
    store = CorpusStore(index)
    docs = {pk for (pk,) in store.rows("SELECT pk FROM docs")}
    held = set()
    for row in store.rows("SELECT count, wide, docs, freqs, lens FROM postings"):
        held |= set(decode_rows([row]).docs.tolist())
    assert held == docs
    weights = store.turn_arrays.weight
    assert np.count_nonzero(weights) == store.rows("SELECT COUNT(*) FROM turns")[0][0]
    store.close()
    _fts_agrees_with_the_documents(index)
    # an incremental build that re-indexes one episode and drops another: FTS5 forgets their rows
    replaced = json.loads((folders[2] / "episode.json").read_text(encoding="utf-8"))
    (folders[2] / "episode.json").write_text(json.dumps({**replaced, "title": "Retitled"}), encoding="utf-8")
    shutil.rmtree(folders[3])
    again = build_index(corpus, index)
    assert (len(again.indexed), len(again.removed), again.rebuilt) == (1, 1, False)
    _fts_agrees_with_the_documents(index)


def _fts_agrees_with_the_documents(index: Path) -> None:
    with sqlite3.connect(index) as conn:  # FTS5 checks its index against the documents, row by row
        conn.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
        matched = {pk for (pk,) in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (fts_match(parse_query("the").terms),))}
        assert matched and matched == {pk for (pk,) in conn.execute("SELECT pk FROM docs WHERE ' ' || body || ' ' LIKE '% the %'")}


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


def test_recent_keeps_the_most_recently_used_keys() -> None:
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "a" is now the youngest
    recent.put("c", 3)  # so "b" goes
    assert (recent.get("a"), recent.get("b"), recent.get("c"), len(recent)) == (1, None, 3, 2)
    recent.put("a", 4)
    assert recent.get("a") == 4 and len(recent) == 2


def test_warming_loads_what_the_first_queries_need(synthetic: tuple[Path, Path], index_path: Path) -> None:
    """Searcher.warm (the server runs it in the background) leaves nothing for the first query to
    load: the vocabulary tables and the turn arrays."""
    for index in (index_path, synthetic[1]):
        store = CorpusStore(index)
        searcher = Searcher(store)
        searcher.warm()
        loaded = set(searcher.__dict__) | set(store.__dict__)
        assert {"_vocab_stems", "_key_list", "_reverse_lexicon", "vocabulary", "speakers", "episodes", "turn_arrays"} <= loaded
        assert searcher.search("model").total > 0
        store.close()


def test_episode_headers_are_parsed_on_use(synthetic: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A large corpus keeps its episode headers as JSON; with room for one parsed header, every
    lookup, listing page and hit still gets the right episode."""
    monkeypatch.setattr(store_module, "EPISODE_CACHE", 1)
    store = CorpusStore(synthetic[1])
    ids = [episode_id for (episode_id,) in store.rows("SELECT id FROM episodes ORDER BY pk")]
    assert list(store.episodes) == ids and len(store.episodes) == len(ids) and "nope" not in store.episodes
    for episode_id in [*ids[:3], ids[0], *ids[-2:]]:
        assert store.episodes[episode_id].id == episode_id == store.episode(episode_id).id
    assert store.episodes.get("nope") is None
    listed, cursor = [], None
    while True:
        page = catalog.list_episodes(store, limit=7, cursor=cursor)
        listed += [e.id for e in page.episodes]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert listed == ids
    store.close()


def test_phrases_repeating_a_word_equal_the_reference(synthetic: tuple[Path, Path]) -> None:
    """`"the the the"` counts overlapping starts as FTS5 does, and reads the word's postings once."""
    store, searcher, _, _ = _opened(synthetic[1])
    found = 0
    for query in ('"the the"', '"the the the"', '"of the the of"', '"the the the the the the the the"', '"a a"'):
        phrases, match = _phrases(searcher, query)
        matching = ranking.Matching(match, phrases, TurnFilter())
        expected = reranked_page(store, matching, -1)
        assert _postings(store, matching, -1) == expected, query
        found += expected[1]
    assert found > 0
    store.close()
