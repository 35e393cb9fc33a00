"""English words, so that a real word is never taken for a typo.

Typo correction (`corpus.search`) replaces a query word the corpus never uses
with the nearest word it does use. That is right for `Databriks` and wrong for
`commute` in a corpus that says `compute` a lot: a word of the language is what
the user meant, even when no turn says it. The word list is pyspellchecker's
English dictionary (about 160,000 words and names, American spelling, from
subtitles), loaded on the first word that needs it.
"""

from __future__ import annotations

from functools import cache


@cache
def _words() -> frozenset[str]:
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def is_english_word(word: str) -> bool:
    """Whether the (lower-case) word is in the English dictionary."""
    return word in _words()
