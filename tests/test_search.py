"""Search behaviour by class of query (our own queries, not the dev set's)."""

from __future__ import annotations

import pytest

from corpus.errors import InvalidQuery, UnknownEpisode, UnknownSpeaker
from corpus.search import Searcher
from corpus.store import CorpusStore

EP = "latent-space-devday-2025"


def top(searcher: Searcher, query: str, **kw: object) -> list[tuple[str, str]]:
    return [(h.speaker, h.timestamp) for h in searcher.search(query, **kw).hits]  # type: ignore[arg-type]


def test_stemming_finds_inflected_forms(searcher: Searcher) -> None:
    hits = top(searcher, "optimizing prompts")
    assert ("christina", "00:19:22") in hits[:3]


def test_natural_question_is_not_decided_by_stop_words(searcher: Searcher) -> None:
    assert top(searcher, "what is the service health dashboard and why does it matter?")[0] in {
        ("sherwin", "00:42:27"),
        ("swyx", "00:42:16"),
    }


def test_phrase_and_prefix(searcher: Searcher) -> None:
    assert top(searcher, '"steering committee"')[0] == ("sherwin", "00:06:19")
    result = searcher.search("Databri*")
    assert result.total >= 1 and any("**Databricks**" in h.snippet for h in result.hits)


@pytest.mark.parametrize("query", ['NOT "chatkit', "chatkit AND NEAR(", "-chatkit*", 'chat"kit OR ^', "chatkit:* {x}"])
def test_fts_syntax_is_text(searcher: Searcher, query: str) -> None:
    result = searcher.search(query)
    assert result.total >= 1


def test_korean_bare_noun_finds_inflected_forms(searcher: Searcher) -> None:
    result = searcher.search("스튜디오", language="ko")
    assert result.hits and all(h.language == "ko" for h in result.hits)
    assert any("**스튜디오**를" in h.snippet for h in result.hits)


def test_korean_two_syllable_word(searcher: Searcher) -> None:
    result = searcher.search("출시", language="ko")
    assert result.total >= 2 and all("출시" in h.snippet for h in result.hits)


def test_korean_particle_in_query_does_not_block(searcher: Searcher) -> None:
    assert top(searcher, "카메라를", language="ko")[0] == ("swyx", "00:01:03")


@pytest.mark.parametrize(
    ("typo", "word", "where"),
    [("Databriks", "databricks", ("sherwin", "00:20:05")), ("chatkt studo", "chatkit", ("christina", "00:38:04"))],
)
def test_typos_are_corrected_and_reported(searcher: Searcher, typo: str, word: str, where: tuple[str, str]) -> None:
    result = searcher.search(typo)
    assert any(c.corrected == word and c.reason == "typo" for c in result.corrections)
    assert where in [(h.speaker, h.timestamp) for h in result.hits[:3]]


def test_known_words_are_not_corrected(searcher: Searcher) -> None:
    assert searcher.search("studio workflows").corrections == []


def test_english_words_missing_from_the_corpus_are_not_corrected(searcher: Searcher, store: CorpusStore) -> None:
    """`modem` is no typo of `model`, though the corpus says only the latter; `platfrom` is one of `platform`."""
    assert "model" in store.vocabulary and "modem" not in store.vocabulary and "commute" not in store.vocabulary
    modem = searcher.search("modem")
    assert modem.corrections == [] and modem.total == 0
    assert searcher.search("commute agents").corrections == []
    assert [(c.original, c.corrected) for c in searcher.search("platfrom").corrections] == [("platfrom", "platform")]


def test_korean_query_finds_english_only_turns(searcher: Searcher) -> None:
    # Stripe is never written in Korean in the corpus: the bridge is by sound.
    result = searcher.search("스트라이프 체크아웃")
    assert {h.timestamp for h in result.hits[:3]} & {"00:36:18", "00:36:28"}
    assert all("ko" not in h.language for h in result.hits[:3])
    # a launch's Korean alias bridges to its English name
    assert top(searcher, "서비스 상태 대시보드")[0] in {("sherwin", "00:42:27"), ("swyx", "00:42:16")}


def test_english_query_finds_korean_text(searcher: Searcher) -> None:
    result = searcher.search("podcast studio", language="ko")
    assert result.hits and all(h.language == "ko" for h in result.hits)
    assert result.hits[0].translation is not None
    assert any("스튜디오" in h.snippet for h in result.hits)


def test_one_hit_per_turn_with_both_languages(searcher: Searcher) -> None:
    result = searcher.search("studio", limit=50)
    ids = [h.turn_id for h in result.hits]
    assert len(ids) == len(set(ids)) == result.total
    swyx = next(h for h in result.hits if h.timestamp == "00:00:11")
    assert swyx.translation is not None


def test_one_word_turn_does_not_outrank_substance(searcher: Searcher) -> None:
    hits = top(searcher, "Stripe Checkout")
    assert hits[0] != ("sherwin", "00:36:28")  # that turn is just "Stripe Checkout."


def test_filters_apply_before_the_limit_and_total_is_exact(searcher: Searcher) -> None:
    everything = searcher.search("agent", limit=50)
    swyx_only = [h for h in everything.hits if h.speaker == "swyx"]
    filtered = searcher.search("agent", speaker="swyx", limit=1)
    assert filtered.total == len(swyx_only) > 1
    assert filtered.hits[0].turn_id == swyx_only[0].turn_id
    window = searcher.search("agent", start="00:10:00", end=900, limit=50)
    assert window.hits and all(600 <= h.start_seconds <= 900 for h in window.hits)


def test_cursor_pages_stably(searcher: Searcher) -> None:
    full = [h.turn_id for h in searcher.search("model", limit=50).hits]
    paged: list[str] = []
    cursor = None
    while True:
        page = searcher.search("model", limit=7, cursor=cursor)
        paged += [h.turn_id for h in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == full[: len(paged)] and len(paged) == page.total


def test_bad_input_is_a_clear_error(searcher: Searcher) -> None:
    with pytest.raises(InvalidQuery, match="cursor"):
        searcher.search("model", cursor="not-a-cursor")
    other = searcher.search("model", limit=1).next_cursor
    with pytest.raises(InvalidQuery, match="different query"):
        searcher.search("agent", cursor=other)
    with pytest.raises(UnknownSpeaker, match="did you mean 'sherwin'"):
        searcher.search("model", speaker="Sherwn")
    with pytest.raises(UnknownEpisode):
        searcher.search("model", episode="nope")
    with pytest.raises(InvalidQuery, match="characters"):
        searcher.search("x" * 5000)
    with pytest.raises(InvalidQuery, match="empty"):
        searcher.search("   ")
    with pytest.raises(InvalidQuery, match="limit"):
        searcher.search("model", limit=0)


def test_speaker_filter_accepts_korean_alias(searcher: Searcher) -> None:
    result = searcher.search("Kakao", speaker="크리스티나")
    assert result.hits and {h.speaker for h in result.hits} == {"christina"}
    assert result.hits[0].episode_id == EP and result.hits[0].url.startswith("https://www.latent.space/p/devday-2025#t=")


# --- a host's question that restates the topic vs the answer that follows (corpus.exchanges) ---


@pytest.mark.parametrize(
    ("query", "answer", "question"),
    [
        ("agent evals", ("sherwin", "00:17:43"), ("swyx", "00:17:24")),
        ("agent evls", ("sherwin", "00:17:43"), ("swyx", "00:17:24")),  # a typo on top
        ("MCP registry", ("christina", "00:27:03"), ("alessio", "00:26:37")),
        ("open source ChatKit", ("christina", "00:35:30"), ("swyx", "00:35:19")),
        ("interop protocol between agent builders", ("sherwin", "00:15:23"), ("swyx", "00:15:06")),
    ],
)
def test_answer_outranks_the_question_that_restates_the_topic(
    searcher: Searcher, query: str, answer: tuple[str, str], question: tuple[str, str]
) -> None:
    hits = top(searcher, query)
    assert hits[0] == answer
    assert question in hits[:5]  # the question is demoted, not dropped


def test_a_question_without_a_matching_answer_keeps_its_rank(searcher: Searcher) -> None:
    # nobody answers "Tinker" by name: the host's question stays the best hit
    assert top(searcher, "Tinker API")[0] == ("swyx", "00:22:10")


def test_filters_keep_the_order_of_the_reranked_list(searcher: Searcher) -> None:
    everything = [h.turn_id for h in searcher.search("agent evals", limit=50).hits]
    for speaker in ("sherwin", "swyx"):
        filtered = [h.turn_id for h in searcher.search("agent evals", speaker=speaker, limit=50).hits]
        assert filtered and filtered == [t for t in everything if t in set(filtered)]
    timed = [h.turn_id for h in searcher.search("agent evals", start="00:17:30", limit=50).hits]
    assert timed and timed == [t for t in everything if t in set(timed)]
