"""Each transcript parser on our own fixtures, with the odd cases real files have."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.errors import ParseError
from corpus.parse import PARSERS, detect_format, parse_file, plain_text, podcast20, read_text, srt, webvtt, whisper
from corpus.parse.raw import RawTurn
from corpus.parse.segments import merge_segments

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def _turns(name: str) -> list[tuple[str | None, float | None, str]]:
    return [(t.speaker, t.start, t.text) for t in parse_file(FIXTURES / name).turns]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("talk.vtt", "webvtt"),
        ("talk.ko.vtt", "webvtt"),
        ("panel.srt", "srt"),
        ("nolabels.srt", "srt"),
        ("interview.json", "podcast20-json"),
        ("lecture.json", "whisper-json"),
        ("notes.txt", "plain-text"),
        ("essay.txt", "plain-text"),
    ],
)
def test_format_is_detected_from_content_and_name(name: str, expected: str) -> None:
    path = FIXTURES / name
    assert detect_format(path, read_text(path)) == expected
    assert expected in PARSERS


def test_fixtures_have_the_odd_cases() -> None:
    assert (FIXTURES / "talk.vtt").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in (FIXTURES / "talk.vtt").read_bytes()
    assert b"\r\n" in (FIXTURES / "panel.srt").read_bytes()
    assert (FIXTURES / "interview.json").read_bytes().startswith(b"\xef\xbb\xbf")


def test_webvtt_voices_fragments_empty_cues_overlaps_and_long_hours() -> None:
    turns = _turns("talk.vtt")
    assert turns == [
        ("Alice Kim", 1.0, "Welcome back to the show, today we talk about evaluation & agents. and why latency matters."),
        ("Bob Lee", 9.0, "Thanks for having me. It's great to be here."),
        ("Alice Kim", 11.5, "Let's start"),
        ("Bob Lee", 13.0, "Sure."),
        ("Alice Kim", 13.0, "with the benchmark."),
        ("Bob Lee", 36000.0, "Ten hours in, we are still talking about quantization."),
    ]


def test_webvtt_language_header_and_line_numbers() -> None:
    document = parse_file(FIXTURES / "talk.ko.vtt")
    assert document.language == "ko"
    assert document.turns[0].speaker == "김앨리스"
    assert parse_file(FIXTURES / "talk.vtt").turns[1].line == 22


def test_srt_prefix_speakers_carry_over_and_hours_past_ten() -> None:
    turns = _turns("panel.srt")
    assert turns == [
        ("Dana Park", 0.0, "So the first question is about retrieval."),
        ("OMAR HADDAD", 6.0, "Retrieval is still underrated. Embeddings help."),
        ("Dana Park", 8.5, "Interesting!"),
        ("Omar Haddad", 37800.0, "Late-night thoughts on vector databases."),
        ("Dana Park", 360000.0, "A hundred hours."),
    ]


def test_srt_without_speakers_keeps_sentences_apart() -> None:
    assert _turns("nolabels.srt") == [(None, 1.0, "Nobody says who is talking here."), (None, 3.0, "Still nobody.")]


def test_podcast20_words_merge_into_turns_and_missing_speaker_continues() -> None:
    assert _turns("interview.json") == [
        ("Min Choi", 0.5, "Hello and welcome."),
        ("Priya Singh", 2.4, "Glad to be here."),
        ("Min Choi", 3.2, "Tell us about tokenizers."),
        ("Priya Singh", 36000.0, "Ten hours later: tokenizers."),
    ]


def test_whisper_has_no_speakers_and_joins_fragments() -> None:
    document = parse_file(FIXTURES / "lecture.json")
    assert document.language == "en"
    assert [(t.speaker, t.start, t.text) for t in document.turns] == [
        (None, 0.0, "The history of search. It begins with inverted indexes and BM25."),
        (None, 40000.0, "After a long pause, ranking functions."),
    ]


def test_plain_text_labels_times_and_continuations() -> None:
    assert _turns("notes.txt") == [
        ("Jamie Rossi", 5.0, "Plain text transcripts are common. They wrap across lines. "
         "This paragraph has no label, so Jamie is still talking."),
        ("Kai Novak", 70.0, "And I reply with a timestamp after my name."),
        ("Jamie Rossi", 43200.0, "Twelve hours in."),
    ]
    assert _turns("essay.txt") == [
        (None, None, "An essay read aloud has no speakers."),
        (None, None, "It has paragraphs, and each one becomes a turn."),
    ]


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("broken.vtt", 6, "start --> end"),
        ("broken.srt", 6, "bad timestamp"),
        ("broken.json", 5, "startTime"),
        ("truncated.json", 5, "invalid JSON"),
    ],
)
def test_malformed_files_name_file_and_line(name: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(FIXTURES / name)
    assert caught.value.path == str(FIXTURES / name)
    assert caught.value.line == line
    assert words in caught.value.reason
    assert str(caught.value).startswith(f"{FIXTURES / name}:{line}: ")


@pytest.mark.parametrize(
    ("parser", "text", "line"),
    [
        (webvtt.parse, "no header\n", 1),
        (webvtt.parse, "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v A>backwards\n", 3),
        (srt.parse, "1\n00:00:01,000 --> 00:00:02,000\nA: ok\n\nnot a cue\nat all\n", 5),
        (podcast20.parse, '{"segments": []}', 1),
        (podcast20.parse, '{"version": "1", "segments": [\n {"speaker": "A", "startTime": 1}\n]}', 2),
        (whisper.parse, '{"segments": [\n {"start": 0, "text": "a"},\n {"start": 1, "end": 0.5, "text": "b"}\n]}', 3),
        (plain_text.parse, "fine\n\nbinary \x00 here\n", 3),
    ],
)
def test_parser_errors_point_at_the_line(parser: object, text: str, line: int) -> None:
    assert callable(parser)
    with pytest.raises(ParseError) as caught:
        parser(Path("x"), text)
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (webvtt.parse, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n"),
        (srt.parse, "1\n00:00:01,000 --> 00:00:02,000\n\n"),
        (podcast20.parse, '{"version": "1", "segments": [{"speaker": "A", "startTime": 1, "body": " "}]}'),
        (plain_text.parse, "\n\n  \n"),
    ],
)
def test_a_file_of_empty_cues_is_an_error(parser: object, text: str) -> None:
    assert callable(parser)
    with pytest.raises(ParseError, match="no "):
        parser(Path("x"), text)


def test_parsers_are_pure_and_take_text() -> None:
    text = "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<v A>one</v>\r\n"
    assert webvtt.parse(Path("in-memory.vtt"), "\ufeff" + text).turns == (RawTurn("A", 1.0, "one", 3, 2.0),)


def test_merge_joins_same_speaker_and_fragments_only() -> None:
    cues = [
        RawTurn("A", 0.0, "one", 1, 1.0),
        RawTurn("A", 1.0, "two.", 2, 2.0),
        RawTurn("B", 2.0, "three", 3, 3.0),
        RawTurn(None, 3.0, "a fragment", 4, 4.0),
        RawTurn(None, 4.0, "ends here.", 5, 5.0),
        RawTurn(None, 5.0, "Next sentence.", 6, 6.0),
    ]
    assert [(t.speaker, t.text, t.end) for t in merge_segments(cues)] == [
        ("A", "one two.", 2.0),
        ("B", "three", 3.0),
        (None, "a fragment ends here.", 5.0),
        (None, "Next sentence.", 6.0),
    ]


def test_merge_orders_by_start_but_keeps_untimed_cues_in_place() -> None:
    cues = [RawTurn("A", 5.0, "late", 1), RawTurn("B", 1.0, "early", 2), RawTurn("B", None, "still early", 3)]
    assert [t.text for t in merge_segments(cues)] == ["early still early", "late"]
