"""The pure parts of search by meaning: passages, vector arrays, fusion."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from corpus.semantic import fusion, vectors
from corpus.semantic.fusion import confidence, fuse_head
from corpus.semantic.passages import LONG_TURN_WORDS, Passage, passage_hash, passages, windows
from corpus.semantic.vectors import VectorTable, encode


def test_windows_keep_whole_sentences_and_overlap_by_one() -> None:
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(20)]
    found = windows(" ".join(sentences), size=20)
    assert all(w.endswith(".") for w in found)
    for first, second in pairwise(found):
        assert first.split(". ")[-1].rstrip(".") == second.split(". ")[0].rstrip(".")  # the last sentence starts the next
    joined = " ".join(found)
    assert all(s.rstrip(".") in joined for s in sentences)  # nothing dropped


def test_a_sentence_longer_than_a_window_is_one_window() -> None:
    long_sentence = " ".join(["word"] * 100) + "."
    assert windows(long_sentence, size=20) == [long_sentence]


def test_short_turns_give_one_passage_per_language_long_ones_windows_too() -> None:
    short = passages({"en": "Hello there.", "ko": "안녕하세요."}, ("en", "ko"))
    assert short == [Passage("en", 0, "Hello there."), Passage("ko", 0, "안녕하세요.")]
    text = " ".join(f"This is sentence {i} of a long answer." for i in range(LONG_TURN_WORDS // 4))
    found = passages({"en": text}, ("en",))
    assert found[0] == Passage("en", 0, text)
    assert len(found) > 2 and [p.part for p in found] == list(range(len(found)))
    assert passages({"en": "   "}, ("en",)) == []  # nothing to embed
    assert passages({"en": "x"}, ("ko",)) == []  # a language the turn lacks


def test_passage_hash_names_model_recipe_and_text() -> None:
    p = Passage("en", 0, "same text")
    assert passage_hash("model-a", p) == passage_hash("model-a", Passage("ko", 3, "same text"))  # content-addressed
    assert passage_hash("model-a", p) != passage_hash("model-b", p)
    assert passage_hash("model-a", p) != passage_hash("model-a", Passage("en", 0, "other text"))
    assert len(passage_hash("m", p)) == 16


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _table(turns: list[int], slots: list[int], rows: np.ndarray) -> VectorTable:
    return VectorTable.from_blobs(turns, slots, [encode(r) for r in rows])


def test_int8_vectors_keep_dot_products() -> None:
    rng = np.random.default_rng(1)
    rows = _unit(rng.normal(size=(200, 384)))
    table = _table(list(range(200)), [0] * 200, rows)
    restored = table.rows.astype(np.float32) * table.scales[:, None]
    cosine = (restored * rows).sum(axis=1) / np.linalg.norm(restored, axis=1)
    assert cosine.min() > 0.995


def test_nearest_is_best_passage_per_turn_with_filters() -> None:
    rng = np.random.default_rng(2)
    query = _unit(rng.normal(size=(1, 384)))[0]
    other = _unit(rng.normal(size=(6, 384)))
    rows = np.vstack([other[:2], query * 0.9 + other[2] * 0.1, other[3:]])  # turn 11's second passage is nearly the query
    table = _table([10, 11, 11, 12, 13, 14], [0] * 6, _unit(rows))
    pks, scores = table.nearest(query, None, 3)
    assert pks[0] == 11 and len(set(pks.tolist())) == 3  # one entry per turn
    assert list(scores) == sorted(scores, reverse=True)
    allowed = table.turns != 11
    pks, _ = table.nearest(query, allowed, 10)
    assert 11 not in pks.tolist() and len(pks) == 4
    assert len(table.nearest(query, np.zeros(6, dtype=bool), 5)[0]) == 0


def test_binary_codes_find_what_exact_scoring_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each query has ten passages around it among 3,000 others: scored through the binary
    codes (a tenth of the rows rescored) the same ten come back as scored exactly."""
    rng = np.random.default_rng(3)
    common = _unit(rng.normal(size=(1, 384)))[0] * 2.5  # what every E5 vector shares: raw signs would say little
    centres = _unit(rng.normal(size=(30, 384)) + common)
    clusters = [_unit(c + 0.9 * _unit(rng.normal(size=(10, 384))) / np.sqrt(384) * 12) for c in centres]
    rows = np.vstack([*clusters, _unit(rng.normal(size=(2700, 384)) + common)])
    table = _table(list(range(len(rows))), [0] * len(rows), rows)
    exact = [set(table.nearest(c, None, 10)[0].tolist()) for c in centres]
    assert all(found == set(range(10 * i, 10 * i + 10)) for i, found in enumerate(exact))
    monkeypatch.setattr(vectors, "EXACT_ROWS", 100)
    monkeypatch.setattr(vectors, "RESCORED", 300)
    coarse = [set(table.nearest(c, None, 10)[0].tolist()) for c in centres]
    recall = np.mean([len(c & e) / 10 for c, e in zip(coarse, exact, strict=True)])
    assert recall > 0.95
    allowed = np.ones(len(rows), dtype=bool)
    allowed[:5] = False
    found = table.nearest(centres[0], allowed, 10)[0].tolist()
    assert not set(found) & set(range(5)) and set(range(5, 10)) <= set(found)  # filters hold on the binary path


def test_similarities_are_standardised_per_language() -> None:
    """A query close to every Korean passage (as a Korean query is) must not rank them all first."""
    rng = np.random.default_rng(4)
    korean_direction = _unit(rng.normal(size=(1, 384)))[0]
    english = _unit(rng.normal(size=(50, 384)))
    korean = _unit(0.8 * korean_direction + 0.2 * _unit(rng.normal(size=(50, 384))))
    answer = 7
    query = _unit((0.8 * korean_direction + 0.6 * english[answer]).reshape(1, -1))[0]
    table = _table(list(range(50)) + list(range(100, 150)), [0] * 50 + [1] * 50, np.vstack([english, korean]))
    raw = (table.rows.astype(np.float32) @ query) * table.scales
    assert int(np.argmax(raw)) >= 50  # by raw cosine a Korean passage wins
    pks, _ = table.nearest(query, None, 1)
    assert pks[0] == answer  # standardised within each language, the English answer stands out


def test_confidence_follows_coverage() -> None:
    assert confidence(0.0) == 0.0
    assert confidence(fusion.COVERAGE_LOW) == 0.0
    assert confidence(fusion.COVERAGE_HIGH) == 1.0
    assert confidence(5.0) == 1.0
    middle = (fusion.COVERAGE_LOW + fusion.COVERAGE_HIGH) / 2
    assert confidence(middle) == pytest.approx(0.5)


def test_words_trusted_keep_their_order_and_admit_no_meaning_only_turns() -> None:
    words = np.array([5, 3, 9], dtype=np.int64)
    meaning = np.array([7, 9, 5, 8], dtype=np.int64)
    head = fuse_head(words, meaning, coverage=2.0)
    assert head.pks.tolist() == [5, 3, 9] and head.meaning_only == 0


def test_words_distrusted_give_the_meanings_order() -> None:
    words = np.array([5, 3, 9], dtype=np.int64)
    meaning = np.array([7, 9, 5, 8], dtype=np.int64)
    head = fuse_head(words, meaning, coverage=0.0)
    assert head.pks.tolist()[:4] == [7, 9, 5, 8] and head.meaning_only == 2
    assert head.pks.tolist()[4:] == [3]  # words' turns the meaning lacks follow


def test_when_both_are_half_trusted_agreement_wins() -> None:
    words = np.array([1, 2, 3], dtype=np.int64)
    meaning = np.array([4, 2, 5], dtype=np.int64)
    middle = (fusion.COVERAGE_LOW + fusion.COVERAGE_HIGH) / 2
    head = fuse_head(words, meaning, coverage=middle)
    assert head.pks[0] == 2  # second on both sides beats first on one
    assert sorted(head.pks.tolist()) == sorted(set(head.pks.tolist()))  # no turn twice
    assert fuse_head(words, meaning, middle).pks.tolist() == head.pks.tolist()  # deterministic


def test_empty_sides() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert fuse_head(empty, empty, 0.0).pks.tolist() == []
    assert fuse_head(empty, np.array([4, 2]), 0.0).pks.tolist() == [4, 2]
    assert fuse_head(np.array([4, 2]), empty, 0.0).pks.tolist() == [4, 2]
