"""What a parser hands to assembly: turns as the file wrote them, before speakers are resolved."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawTurn:
    """One turn (or cue) as written: a speaker label (None if the format has none)."""

    speaker: str | None
    start: float | None
    text: str
    line: int
    end: float | None = None


@dataclass(frozen=True)
class RawDocument:
    """A parsed source file.

    `turns` are in `language`; `translations` holds turns of the same
    conversation in other languages (a bilingual page carries both);
    `article` holds the prose around the transcript per language.
    """

    path: str
    language: str
    turns: tuple[RawTurn, ...]
    translations: dict[str, tuple[RawTurn, ...]] = field(default_factory=dict)
    article: dict[str, str] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    author: str | None = None
    url: str | None = None
