"""Turning text into index terms, for documents and queries alike.

English (and any Latin-script word, wherever it stands): lower-cased,
typography folded, Snowball-stemmed. Korean: each run of Hangul becomes its
character bigrams (a one-syllable run stays a unigram), so a bare noun finds
its inflected forms (`플러그인` in `플러그인을`) and two-syllable words match.
Spans point back into the original text so hits can be highlighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from corpus.text_norm import fold_typography

WORD_CHAR = r"[^\W_\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]"
"""A character of a Latin-script (non-Hangul) word: Python's word characters, less Hangul and the
few marks FTS5's unicode61 tokenizer splits on (New Tai Lue vowel signs and tone marks, two Vedic
signs), so that FTS5 sees the very tokens we index (tests/test_ranking_engine.py sweeps Unicode)."""
LATIN_WORD = re.compile(rf"{WORD_CHAR}+(?:['’]{WORD_CHAR}+)*")
HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_stemmer = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    term: str


_FTS5_FOLDS = str.maketrans({
    "µ": "μ", "ſ": "s", "ς": "σ", "ϐ": "β", "ϑ": "θ", "ϕ": "φ", "ϖ": "π", "ϰ": "κ", "ϱ": "ρ", "ϵ": "ε", "ẛ": "ṡ",
})
"""Letters unicode61 folds and str.lower() keeps: folded here too, so FTS5 and the postings hold one token."""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word.lower().translate(_FTS5_FOLDS).replace("'", "").replace("’", "")))


def _latin_spans(text: str) -> list[Span]:
    spans = []
    for match in LATIN_WORD.finditer(text):
        word = match.group()
        spans.append(Span(match.start(), match.end(), stem(word)))
    return spans


def hangul_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _hangul_spans(text: str) -> list[Span]:
    spans = []
    for match in HANGUL_RUN.finditer(text):
        run, base = match.group(), match.start()
        if len(run) == 1:
            spans.append(Span(base, base + 1, run))
            continue
        spans.extend(Span(base + i, base + i + 2, run[i : i + 2]) for i in range(len(run) - 1))
    return spans


def document_spans(text: str) -> list[Span]:
    """Every index term of a text in order, Latin words and Hangul bigrams alike."""
    folded = fold_typography(text)
    spans = _latin_spans(folded) + _hangul_spans(folded)
    spans.sort(key=lambda s: s.start)
    return spans


_TOKEN = re.compile(rf"(?P<latin>{LATIN_WORD.pattern})|(?P<hangul>{HANGUL_RUN.pattern})")


def index_terms(text: str) -> list[str]:
    """The terms of `document_spans`, in the same order, without the spans: the indexing fast path."""
    terms: list[str] = []
    for latin, hangul in _TOKEN.findall(fold_typography(text)):
        if latin:
            terms.append(stem(latin))
        elif len(hangul) == 1:
            terms.append(hangul)
        else:
            terms.extend([hangul[i : i + 2] for i in range(len(hangul) - 1)])
    return terms


def latin_terms(text: str) -> list[str]:
    return [s.term for s in _latin_spans(fold_typography(text))]


def surface_words(text: str) -> list[str]:
    """Lower-case Latin words as written: the vocabulary typos are corrected against."""
    return [m.group().lower() for m in LATIN_WORD.finditer(fold_typography(text))]


def hangul_words(text: str) -> list[str]:
    return HANGUL_RUN.findall(text)
