"""Launch catalog assembly and the mentions of each launch in the turns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from corpus.model import Launch, Mention, Turn
from corpus.text_norm import fold_typography, is_hangul


def alias_pattern(alias: str) -> re.Pattern[str]:
    """Whole-word match for Latin aliases; Korean aliases may carry a particle after them."""
    alias = fold_typography(alias).strip()
    body = r"\s*".join(re.escape(part) for part in alias.split())
    left = r"(?<![\w-])" if not is_hangul(alias[0]) else r"(?<![\uac00-\ud7a3])"
    # Latin names may take a plural or possessive ("Agent Builders", "ChatKit's")
    right = "" if is_hangul(alias[-1]) else r"(?:s|'s)?(?![\w-])"
    return re.compile(left + body + right, re.IGNORECASE)


def find_mentions(aliases: Iterable[str], turns: Sequence[Turn]) -> tuple[Mention, ...]:
    patterns = [alias_pattern(a) for a in dict.fromkeys(aliases) if a.strip()]
    mentions: list[Mention] = []
    for turn in turns:
        for language, text in turn.text.items():
            folded = fold_typography(text)
            if any(p.search(folded) for p in patterns):
                mentions.append(
                    Mention(
                        turn_id=turn.id,
                        ordinal=turn.ordinal,
                        start_seconds=turn.start_seconds,
                        timestamp=turn.timestamp,
                        speaker=turn.speaker,
                        language=language,
                    )
                )
    return tuple(mentions)


def with_mentions(launches: Iterable[Launch], turns: Sequence[Turn]) -> tuple[Launch, ...]:
    return tuple(
        launch.model_copy(update={"mentions": find_mentions((launch.name, *launch.aliases), turns)})
        for launch in launches
    )
