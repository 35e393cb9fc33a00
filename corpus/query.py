"""Reading a user's query: words, "phrases" and prefix* terms, in any script.

Nothing the user types reaches FTS5 as syntax: every term is reduced to index
terms (stems, Hangul bigrams) and quoted by `fts_match`. `NOT`, `-`, `NEAR(`
and stray quotes are just text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.errors import InvalidQuery
from corpus.stopwords import ENGLISH, KOREAN_PARTICLES, strip_particle
from corpus.text_norm import fold_typography
from corpus.tokenize import WORD_CHAR, hangul_bigrams, stem

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32

_PIECE = re.compile(r'"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)')
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_LATIN = re.compile(rf"{WORD_CHAR}+(?:'{WORD_CHAR}+)*")


@dataclass(frozen=True)
class Term:
    """One unit of matching: a sequence of index terms that must stand together."""

    terms: tuple[str, ...]
    surface: str
    script: str  # 'latin' or 'hangul'
    prefix: bool = False
    stop: bool = False


@dataclass
class ParsedQuery:
    text: str
    terms: list[Term] = field(default_factory=list)
    latin_words: list[str] = field(default_factory=list)
    hangul_words: list[str] = field(default_factory=list)

    @property
    def content_terms(self) -> list[Term]:
        content = [t for t in self.terms if not t.stop]
        return content or self.terms


def _latin_term(word: str, prefix: bool) -> Term:
    surface = word.lower()
    return Term((stem(surface) if not prefix else surface.replace("'", ""),), surface, "latin", prefix, surface in ENGLISH)


def _hangul_term(word: str, prefix: bool) -> Term:
    base = strip_particle(word)
    return Term(tuple(hangul_bigrams(base)), base, "hangul", prefix or len(base) == 1)


def _terms_of(text: str, prefix: bool) -> list[Term]:
    """Split one whitespace-free piece into Latin and Hangul terms (`ChatGPT를` -> chatgpt, 를)."""
    found: list[tuple[int, Term]] = []
    for m in _LATIN.finditer(text):
        found.append((m.start(), _latin_term(m.group(), prefix and m.end() == len(text))))
    for m in _HANGUL.finditer(text):
        if found and m.group() in KOREAN_PARTICLES:
            continue  # `ChatGPT를`: the particle after a Latin word is not a search term
        found.append((m.start(), _hangul_term(m.group(), prefix and m.end() == len(text))))
    return [term for _, term in sorted(found, key=lambda x: x[0])]


def parse_query(text: str) -> ParsedQuery:
    if not isinstance(text, str) or not text.strip():
        raise InvalidQuery("the query is empty; pass a few words to search for, e.g. 'Apps SDK' or '에이전트 빌더'")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS} (a few keywords work best)")
    folded = fold_typography(text).replace("\x00", " ")
    parsed = ParsedQuery(text=text)
    for piece in _PIECE.finditer(folded):
        if piece["phrase"] is not None:
            words = [t for w in piece["phrase"].split() for t in _terms_of(w, False)]
            if len(words) == 1:
                parsed.terms.append(words[0])
            elif words:
                parsed.terms.append(
                    Term(tuple(x for w in words for x in w.terms), piece["phrase"].strip(), "phrase", False, False)
                )
        else:
            word = piece["word"]
            prefix = word.endswith("*") and len(word.rstrip("*")) >= 2
            parsed.terms.extend(_terms_of(word.rstrip("*") if prefix else word, prefix))
    for m in _LATIN.finditer(folded):
        parsed.latin_words.append(m.group().lower())
    for m in _HANGUL.finditer(folded):
        parsed.hangul_words.append(strip_particle(m.group()))
    parsed.terms = [t for t in parsed.terms if t.terms and all(t.terms)][:MAX_TERMS]
    if not parsed.terms:
        raise InvalidQuery(f"nothing searchable in {text[:80]!r}; use words or numbers")
    return parsed


def quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_group(term: Term) -> str:
    """One term as an FTS5 expression: a quoted token, a quoted phrase, or a prefix."""
    body = quote(" ".join(term.terms))
    return body + "*" if term.prefix else body


def fts_match(terms: list[Term]) -> str:
    """OR of every group: BM25 then rewards the turns that match more (and rarer) groups."""
    groups = dict.fromkeys(fts_group(t) for t in terms)
    return " OR ".join(groups)
