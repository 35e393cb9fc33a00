"""The two source formats on tiny inputs, including broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.article import parse_guests, parse_linked_launches, split_sections
from corpus.errors import ParseError
from corpus.parse import latent_space_page, markdown_turns, parse_file

PAGE = """# **제목**

Author: Someone
URL: https://example.com/ep

============================================================

**ORIGINAL TEXT**:
Intro words. Guests Ann Lee: Host, Show https://x.com/ann Transcript Ann [00:00:01]: Hello there. Bob [00:00:05]: Hi.

**Korean Translation**:
소개. 앤(Ann) [00:00:01]: 안녕하세요. 밥(Bob) [00:00:05]: 안녕
"""


def test_page_parses_both_languages(tmp_path: Path) -> None:
    doc = latent_space_page.parse(tmp_path / "p.txt", PAGE)
    assert [(t.speaker, t.start, t.text) for t in doc.turns] == [("Ann", 1.0, "Hello there."), ("Bob", 5.0, "Hi.")]
    assert [t.speaker for t in doc.translations["ko"]] == ["앤(Ann)", "밥(Bob)"]
    assert doc.article["en"].endswith("Transcript") and doc.author == "Someone" and doc.title == {"ko": "제목"}


def test_page_without_original_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as info:
        latent_space_page.parse(tmp_path / "p.txt", "# title\nAuthor: x\n")
    assert "p.txt" in str(info.value) and "ORIGINAL TEXT" in str(info.value)


def test_page_with_stray_text_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as info:
        latent_space_page.parse(tmp_path / "p.txt", "# t\nAuthor: x\nwhat is this\n**ORIGINAL TEXT**:\nA [00:00:01]: hi\n")
    assert info.value.line == 3


def test_markdown_turns_and_continuations(tmp_path: Path) -> None:
    text = "\ufeff**Ann** [00:00:01]: Hello\r\n\r\nmore words\r\n\r\n**Bob** [01:02:03]: Hi.\r\n"
    path = tmp_path / "t.md"
    path.write_bytes(text.encode())
    doc = parse_file(path)
    assert [(t.speaker, t.start, t.text, t.line) for t in doc.turns] == [
        ("Ann", 1.0, "Hello more words", 1),
        ("Bob", 3723.0, "Hi.", 5),
    ]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("preamble\n\n**Ann** [00:00:01]: hi", 1, "before the first"),
        ("**Ann** [00:00:01]: hi\n\n**Bob** [00:99:01]: x", 3, "bad timestamp"),
    ],
)
def test_markdown_errors_name_file_and_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    with pytest.raises(ParseError) as info:
        markdown_turns.parse(tmp_path / "bad.md", text)
    assert info.value.line == line and needle in str(info.value) and "bad.md" in str(info.value)


def test_undecodable_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(b"**Ann** [00:00:01]: ok\n\n**Bob** [00:00:02]: caf\xe9\n")
    with pytest.raises(ParseError) as info:
        parse_file(path)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


def test_article_helpers() -> None:
    sections = split_sections(
        "Intro. Models Text one. Guests Ann Lee: Host, Show https://a https://b Transcript", ["Models", "Guests", "Transcript"]
    )
    assert [(s.heading, s.text) for s in sections] == [
        (None, "Intro."),
        ("Models", "Text one."),
        ("Guests", "Ann Lee: Host, Show https://a https://b"),
    ]
    guests = parse_guests(sections[2].text)
    assert guests[0].name == "Ann Lee" and guests[0].role == "Host, Show" and guests[0].links == ("https://a", "https://b")
    launches = parse_linked_launches("we wanted: foo-1 (model): https://x/foo bar 2: Guide (cookbook): https://x/g (50% off) end")
    assert [(x.name, x.kind, x.url, x.note) for x in launches] == [
        ("foo-1", "model", "https://x/foo", None),
        ("bar 2: Guide", "cookbook", "https://x/g", "50% off"),
    ]
