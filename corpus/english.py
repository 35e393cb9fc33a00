"""English words, so that a real word is never taken for a typo.

Typo correction (`corpus.search`) replaces a query word the corpus never uses
with the nearest word it does use. That is right for `Databriks` and wrong for
`commute` in a corpus that says `compute` a lot: a word of the language is what
the user meant, even when no turn says it. The word list is pyspellchecker's
English dictionary (about 160,000 words and names, American spelling, from
subtitles), loaded on the first word that needs it (or by the server's warm-up).

Only the words' hashes are kept, sorted in one array: 1.3 MB where a set of the
words would hold 35 MB for as long as the server runs (loading still leaves about
20 MB of the checker's freed table to the process). Python's string hash is
64 bits, so two words sharing one is too unlikely to matter (it is salted per
process, which is fine for a table that lives in the process).
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left

_loading = threading.Lock()
_loaded: list[array[int]] = []


def _hashes() -> array[int]:
    """The sorted hashes, loaded once: a second thread asking meanwhile waits for the first."""
    if not _loaded:
        with _loading:
            if not _loaded:
                from spellchecker import SpellChecker

                words = SpellChecker(language="en", distance=1).word_frequency.dictionary
                _loaded.append(array("q", sorted({hash(word) for word in words})))
    return _loaded[0]


def is_english_word(word: str) -> bool:
    """Whether the (lower-case) word is in the English dictionary."""
    hashes = _hashes()
    wanted = hash(word)
    at = bisect_left(hashes, wanted)
    return at < len(hashes) and hashes[at] == wanted
