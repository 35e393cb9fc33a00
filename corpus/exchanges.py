"""Question and answer: a host's question hands its match on to the guests' answer.

In an interview the host's question often restates the topic in a few words
("... automated prompt optimization ... What's the thinking there?"), so BM25,
which favours short documents, ranks the question above the answer that holds
the substance. An exchange is a host turn that asks (it has a `?`) and the guest
turns that follow it, up to `WINDOW` turns and until a host speaks again (short
"Yeah." turns in between are part of it).

- At index time `answered_questions` records, per answer turn, the question it
  answers (`turns.answers` in the index).
- At query time the ranking (`corpus.ranking`, `corpus.postings_ranking`) lets
  each matching answer inherit `INHERIT` of its question's relevance, and
  demotes a question by `DEMOTE` when one of its answers matches too. Turns
  outside an exchange keep their relevance. (tests/ranking_reference.py states
  the rule once more, plainly, for the tests.)

Relevances here are higher-is-better: the negated BM25 times the length prior.
The facts a turn inherits come from every matching turn, before the speaker and
time filters, so a filter never changes the order of the turns it keeps.
Episodes whose speakers carry no host flag have no exchanges; ranking there is
plain BM25.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from corpus.model import Turn

WINDOW = 3
"""How many turns after a question can be its answers."""
INHERIT = 0.5
"""Share of the question's relevance that an answer matching too adds to its own."""
DEMOTE = 0.6
"""Factor on a question's relevance when one of its answers matches too."""


def asks(turn: Turn) -> bool:
    return any("?" in text or "？" in text for text in turn.text.values())


def answered_questions(turns: Iterable[Turn], hosts: Collection[str]) -> dict[int, int]:
    """Ordinal of each guest turn that answers a host's question -> the question's ordinal."""
    answers: dict[int, int] = {}
    question: Turn | None = None
    for turn in sorted(turns, key=lambda t: t.ordinal):
        if turn.speaker in hosts:
            question = turn if asks(turn) else None
        elif question is not None and turn.ordinal - question.ordinal <= WINDOW:
            answers[turn.ordinal] = question.ordinal
    return answers
