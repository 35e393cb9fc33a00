"""A Korean-English bridge built from the corpus itself.

Two sources, no hand-made synonym lists:
- glosses: translations write terms as `한글(English)`, e.g. `챗킷(chat kit)`;
- aliases: a launch or speaker listed with names in both scripts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from corpus.model import Episode
from corpus.text_norm import is_hangul

_GLOSS = re.compile(r"(?P<ko>[\uac00-\ud7a3]+(?: [\uac00-\ud7a3]+){0,3})\((?P<en>[A-Za-z][A-Za-z0-9 .&'+-]{0,60})\)")


def glosses(text: str) -> Iterator[tuple[str, str]]:
    """`'에이전트 빌더(Agent Builder)'` -> ('에이전트 빌더', 'Agent Builder'), ('빌더', 'Builder') ...

    The Korean side takes as many words as the English has (at most what the
    clause offers); the last word is also paired alone with the last English word.
    """
    for match in _GLOSS.finditer(text):
        ko_words = match["ko"].split()
        en = match["en"].strip()
        en_words = en.split()
        take = min(len(ko_words), len(en_words))
        yield " ".join(ko_words[-take:]), en
        if take > 1:
            yield ko_words[-1], en_words[-1]


def alias_pairs(episode: Episode) -> Iterator[tuple[str, str]]:
    groups = [(launch.name, *launch.aliases) for launch in episode.launches]
    groups += [(s.name, *s.names.values(), *s.aliases) for s in episode.speakers]
    for group in groups:
        korean = [a for a in group if a and is_hangul(a[0])]
        english = [a for a in group if a and not is_hangul(a[0])]
        for ko in korean:
            for en in english:
                yield ko, en


def episode_lexicon(episode: Episode) -> set[tuple[str, str, str]]:
    pairs: set[tuple[str, str, str]] = set()
    for turn in episode.turns:
        for language, text in turn.text.items():
            if language != "en":
                pairs.update((ko, en, "gloss") for ko, en in glosses(text))
    for sections in episode.article.values():
        for section in sections:
            pairs.update((ko, en, "gloss") for ko, en in glosses(section.text))
    pairs.update((ko, en, "alias") for ko, en in alias_pairs(episode))
    return pairs
