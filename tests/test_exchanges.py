"""Question and answer turns (corpus.exchanges), on hand-made turns."""

from __future__ import annotations

from ranking_reference import Exchanges, rerank

from corpus.exchanges import DEMOTE, INHERIT, WINDOW, answered_questions
from corpus.model import Turn


def turns(*spoken: tuple[str, str]) -> list[Turn]:
    return [Turn(episode_id="e", ordinal=i, start_seconds=i * 10, speaker=who, text={"en": text}) for i, (who, text) in enumerate(spoken)]


def test_guest_turns_after_a_host_question_answer_it() -> None:
    found = answered_questions(
        turns(
            ("host", "What about evals?"),  # 0: asks
            ("guest", "Yeah."),  # 1
            ("other", "Evals are hard."),  # 2
            ("host", "Right, and traces."),  # 3: says, does not ask
            ("guest", "Traces too."),  # 4
        ),
        {"host"},
    )
    assert found == {1: 0, 2: 0}


def test_answers_stop_after_the_window_and_need_hosts() -> None:
    spoken = [("host", "Why?")] + [("guest", f"part {i}") for i in range(WINDOW + 2)]
    assert answered_questions(turns(*spoken), {"host"}) == {i: 0 for i in range(1, WINDOW + 1)}
    assert answered_questions(turns(*spoken), set()) == {}
    assert answered_questions(turns(("host", "왜요?"), ("guest", "그래서요")), {"host"}) == {1: 0}


def test_rerank_passes_a_question_match_to_its_answer() -> None:
    # turn 1 asks (relevance 10) and is answered by turn 2 (6), which matches too; turn 3 stands alone (8)
    facts = Exchanges(relevance={1: 10.0, 2: 6.0, 3: 8.0}, question_of={2: 1})
    assert rerank([1, 2, 3], facts) == [(2, 6.0 + INHERIT * 10.0), (3, 8.0), (1, 10.0 * DEMOTE)]


def test_an_answer_that_does_not_match_changes_nothing() -> None:
    # turn 4 answers turn 1 but is not among the matching turns: turn 1 keeps its relevance
    facts = Exchanges(relevance={1: 10.0, 3: 8.0}, question_of={4: 1})
    assert rerank([1, 3], facts) == [(1, 10.0), (3, 8.0)]


def test_rerank_without_exchanges_is_the_bm25_order() -> None:
    assert rerank([3, 1], Exchanges({3: 8.0, 1: 10.0}, {})) == [(1, 10.0), (3, 8.0)]
    assert rerank([5, 4], Exchanges({5: 1.0, 4: 1.0}, {})) == [(4, 1.0), (5, 1.0)]  # ties by turn_pk
