"""Ingesting files and folders into a corpus directory, and what the index looks like after."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from corpus.ingest import ProgressBar, ingest
from corpus.locations import BUNDLED_CORPUS
from corpus.parse import RawDocument
from corpus.search import Searcher
from corpus.store import CorpusStore
from mcp_server.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
GOOD = ("talk", "panel", "nolabels", "interview", "lecture", "notes", "essay")
BROKEN = ("broken.vtt", "broken.srt", "broken.json", "truncated.json")


def _index_rows(index: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(index) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("episodes", "sources", "turns", "docs", "speakers")
        }


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "corpus", tmp_path / "index.sqlite"


def test_partial_ingest_keeps_good_files_and_names_bad_ones(corpus: tuple[Path, Path]) -> None:
    corpus_dir, index = corpus
    report = ingest([FIXTURES], corpus_dir, index)
    assert sorted(report.added) == sorted(GOOD)
    assert sorted((Path(e.path).name, e.line) for e in report.errors) == [
        ("broken.json", 5), ("broken.srt", 6), ("broken.vtt", 6), ("truncated.json", 5),
    ]
    assert sorted(p.name for p in corpus_dir.iterdir()) == sorted(GOOD)
    store = CorpusStore(index)
    try:
        assert sorted(store.episodes) == sorted(GOOD)
    finally:
        store.close()


def test_sidecar_metadata_and_translation_are_linked(corpus: tuple[Path, Path]) -> None:
    corpus_dir, index = corpus
    ingest([FIXTURES / "talk.vtt"], corpus_dir, index)
    assert sorted(p.name for p in (corpus_dir / "talk").iterdir()) == ["episode.json", "talk.ko.vtt", "talk.vtt"]
    sidecar = json.loads((corpus_dir / "talk" / "episode.json").read_text())
    assert sidecar["sources"][1] == {"path": "talk.ko.vtt", "format": "webvtt", "role": "translation", "language": "ko"}
    store = CorpusStore(index)
    try:
        episode = store.episode("talk")
        assert (episode.title, episode.url, episode.published) == (
            "Evaluation, agents and latency", "https://example.com/episodes/talk", "2024-05-01",
        )
        assert {s.id: s.role for s in episode.speakers} == {"alice": "Host", "bob": "Guest, Example Labs"}
        hits = Searcher(store).search("양자화", language="ko").hits
        assert [(h.turn_id, h.speaker) for h in hits] == [("talk:5", "bob")]
        assert hits[0].translation == "Ten hours in, we are still talking about quantization."
        assert Searcher(store).search("Bob", speaker="이밥").total >= 0
    finally:
        store.close()


def test_reingesting_the_same_files_changes_nothing(corpus: tuple[Path, Path]) -> None:
    corpus_dir, index = corpus
    ingest([FIXTURES], corpus_dir, index)
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus_dir.rglob("*") if p.is_file()}
    index_bytes = index.read_bytes()
    again = ingest([FIXTURES], corpus_dir, index)
    assert again.added == [] and again.updated == []
    assert sorted(again.unchanged) == sorted(GOOD)
    assert again.index is None
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus_dir.rglob("*") if p.is_file()} == files
    assert index.read_bytes() == index_bytes


def test_a_changed_file_is_reindexed_alone(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus_dir, index = corpus
    inputs = tmp_path / "inputs"
    shutil.copytree(FIXTURES, inputs)
    ingest([inputs], corpus_dir, index)
    before = _index_rows(index)
    srt = inputs / "panel.srt"
    srt.write_bytes(srt.read_bytes().replace(b"vector databases", b"graph databases"))
    report = ingest([inputs], corpus_dir, index)
    assert report.updated == ["panel"]
    assert report.index is not None
    assert report.index.indexed == ["panel"]
    assert report.index.unchanged == len(GOOD) - 1
    after = _index_rows(index)
    panel_before = next(row[0] for row in before["episodes"] if row[1] == "panel")
    panel_after = next(row[0] for row in after["episodes"] if row[1] == "panel")
    # every other episode's rows are untouched, down to their primary keys
    assert [r for r in before["turns"] if r[1] != panel_before] == [r for r in after["turns"] if r[1] != panel_after]
    assert [r for r in before["episodes"] if r[0] != panel_before] == [r for r in after["episodes"] if r[0] != panel_after]
    store = CorpusStore(index)
    try:
        searcher = Searcher(store)
        assert searcher.search("graph databases").total == 1
        assert searcher.search("vector").total == 0
    finally:
        store.close()


def test_a_broken_update_keeps_the_indexed_version(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus_dir, index = corpus
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(FIXTURES / "panel.srt", inputs / "panel.srt")
    ingest([inputs], corpus_dir, index)
    (inputs / "panel.srt").write_text("1\n00:00:01,000 --> soon\nDana Park: broken\n")
    report = ingest([inputs], corpus_dir, index)
    assert [(Path(e.path).name, e.line) for e in report.errors] == [("panel.srt", 2)]
    store = CorpusStore(index)
    try:
        assert Searcher(store).search("retrieval", episode="panel").total == 2
    finally:
        store.close()


def test_ingesting_adds_to_what_the_index_holds(corpus: tuple[Path, Path]) -> None:
    corpus_dir, index = corpus
    ingest([BUNDLED_CORPUS], corpus_dir, index)
    ingest([FIXTURES / "panel.srt", FIXTURES / "interview.json"], corpus_dir, index)
    store = CorpusStore(index)
    try:
        assert sorted(store.episodes) == ["interview", "latent-space-devday-2025", "panel"]
        searcher = Searcher(store)
        everywhere = searcher.search("retrieval")
        assert {h.episode_id for h in everywhere.hits} >= {"panel"}
        only = searcher.search("retrieval", episode="panel")
        assert only.total == 2 and {h.episode_id for h in only.hits} == {"panel"}
        assert searcher.search("Sherwin", episode="latent-space-devday-2025").total > 0
        assert searcher.search("tokenizers", episode="interview").hits[0].turn_id == "interview:2"
    finally:
        store.close()


def test_the_same_id_twice_in_one_ingest_is_an_error(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus_dir, index = corpus
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(FIXTURES / "essay.txt", tmp_path / folder / "essay.txt")
    report = ingest([tmp_path / "a", tmp_path / "b"], corpus_dir, index)
    assert report.added == ["essay"]
    assert len(report.errors) == 1 and "episode id 'essay'" in str(report.errors[0])


def test_bad_metadata_sidecar_is_reported(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus_dir, index = corpus
    shutil.copy(FIXTURES / "essay.txt", tmp_path / "essay.txt")
    (tmp_path / "essay.meta.json").write_text('{"title": "x",\n "published": "yesterday"}\n')
    report = ingest([tmp_path / "essay.txt"], corpus_dir, index)
    assert report.added == []
    assert [Path(e.path).name for e in report.errors] == ["essay.meta.json"]
    assert "published" in str(report.errors[0])


def test_cli_ingest_prints_a_summary_to_stderr(corpus: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    corpus_dir, index = corpus
    status = main(["ingest", str(FIXTURES), "--corpus", str(corpus_dir), "--index", str(index), "--progress"])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert "7 new" in captured.err and "4 failed" in captured.err
    assert "broken.srt:6:" in captured.err
    assert "indexing [" in captured.err
    assert main(["ingest", str(FIXTURES / "essay.txt"), "--corpus", str(corpus_dir), "--index", str(index)]) == 0


def test_progress_bar_draws_on_its_stream() -> None:
    import io

    stream = io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar("index", 1, 2, "one")
    bar("index", 2, 2, "two")
    assert stream.getvalue().endswith("\n") and "[##########] 2/2" in stream.getvalue()


def test_building_an_up_to_date_index_leaves_the_file_alone(tmp_path: Path) -> None:
    from corpus.index.build import build_index
    from corpus.locations import BUNDLED_CORPUS

    index = tmp_path / "index.sqlite"
    build_index(BUNDLED_CORPUS, index)
    before = index.stat()
    report = build_index(BUNDLED_CORPUS, index)
    assert report.unchanged == 1 and not report.changed and not report.rebuilt
    after = index.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_an_episode_folder_the_corpus_holds_already_is_not_parsed_again(
    corpus: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpus.ingest as ingest_module

    ingest([FIXTURES / "panel.srt"], tmp_path / "staging", tmp_path / "staging.sqlite")
    folder = tmp_path / "staging" / "panel"  # an episode folder, with its episode.json
    parsed: list[str] = []
    real_parse = ingest_module.parse_file

    def counting_parse(path: Path, format_name: str | None = None) -> RawDocument:
        parsed.append(path.name)
        return real_parse(path, format_name)

    monkeypatch.setattr(ingest_module, "parse_file", counting_parse)
    corpus_dir, index = corpus
    assert ingest([folder], corpus_dir, index).added == ["panel"]
    assert parsed == ["panel.srt"]
    again = ingest([folder], corpus_dir, index)
    assert (again.unchanged, again.index, parsed) == (["panel"], None, ["panel.srt"])
    # a changed file is parsed (and refused when broken, naming its line); the corpus keeps its copy
    kept = (corpus_dir / "panel" / "panel.srt").read_bytes()
    (folder / "panel.srt").write_text("1\n00:00:01,000 --> soon\nDana Park: broken\n")
    broken = ingest([folder], corpus_dir, index)
    assert parsed == ["panel.srt", "panel.srt"]
    assert [(Path(e.path).name, e.line) for e in broken.errors] == [("panel.srt", 2)]
    assert (corpus_dir / "panel" / "panel.srt").read_bytes() == kept
    # a file the corpus lacks (or holds with other bytes) means the folder is checked again
    (folder / "panel.srt").write_bytes(kept)
    (corpus_dir / "panel" / "panel.srt").unlink()
    restored = ingest([folder], corpus_dir, index)
    assert restored.updated == ["panel"] and parsed[-1] == "panel.srt" and len(parsed) == 3
    assert (corpus_dir / "panel" / "panel.srt").read_bytes() == kept
    # a malformed copy put in the corpus by hand is not "held": the index never took it, and
    # ingesting the same malformed folder reports its error every time
    broken_source = tmp_path / "by-hand" / "panel"
    shutil.copytree(folder, broken_source)
    (broken_source / "panel.srt").write_text("1\n00:00:01,000 --> soon\nDana Park: broken\n")
    shutil.copyfile(broken_source / "panel.srt", corpus_dir / "panel" / "panel.srt")
    for _ in range(2):
        report = ingest([broken_source], corpus_dir, index)
        assert ("panel.srt", 2) in [(Path(e.path).name, e.line) for e in report.errors]
        assert report.unchanged == []
