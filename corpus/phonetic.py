"""A rough sound key shared by Hangul loanwords and English words.

Korean writes many English words by sound: `카카오` is Kakao, `코덱스` is Codex,
`리뷰` is review. Both scripts are reduced to the same coarse key, in which
consonants that Korean does not tell apart (or writes for one English sound)
fall together and every vowel run is one `.`:

    코덱스 -> k.tks      codex  -> k.tks
    리뷰   -> r.p        review -> r.p
"""

from __future__ import annotations

import re
from functools import lru_cache

_INITIALS = ["k", "k", "n", "t", "t", "r", "m", "p", "p", "s", "s", "", "j", "j", "j", "k", "t", "p", "h"]
# medial vowels: all vowels become '.', but ㅡ (eu) and ㅣ after ㅅ/ㅈ at a word end are often epenthetic
_FINALS = [
    "", "k", "k", "ks", "n", "nj", "nh", "t", "r", "rk", "rm", "rp", "rs", "rt",
    "rp", "rh", "m", "p", "ps", "t", "t", "ng", "t", "t", "k", "t", "p", "h",
]
_EU = 18  # index of ㅡ among the 21 medials

_ENGLISH_RULES: tuple[tuple[str, str], ...] = (
    ("tch", "j"), ("sch", "sk"), ("ch", "j"), ("sh", "s"), ("ph", "p"), ("th", "t"), ("ck", "k"), ("dg", "j"),
    ("qu", "k"), ("x", "ks"), ("c(?=[eiy])", "s"), ("c", "k"), ("q", "k"), ("g(?=[ei])", "j"), ("g", "k"),
    ("z", "j"), ("v", "p"), ("f", "p"), ("b", "p"), ("d", "t"), ("l", "r"), ("h", ""), ("w", "a"), ("y", "a"),
)
_VOWELS = re.compile(r"[aeiou.]+")


def _collapse(key: str) -> str:
    key = _VOWELS.sub(".", key)
    key = re.sub(r"(.)\1+", r"\1", key)
    return key.rstrip(".")


@lru_cache(maxsize=65536)
def english_key(word: str) -> str:
    key = word.lower()
    key = re.sub(r"[^a-z]", "", key)
    for pattern, replacement in _ENGLISH_RULES:
        key = re.sub(pattern, replacement, key)
    return _collapse(key)


@lru_cache(maxsize=65536)
def hangul_key(word: str) -> str:
    parts: list[str] = []
    for char in word:
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            continue
        initial, rest = divmod(code, 588)
        medial, final = divmod(rest, 28)
        parts.append(_INITIALS[initial])
        parts.append("" if medial == _EU else ".")
        parts.append(_FINALS[final])
    return _collapse("".join(parts))


_MEDIAL_ROMAN = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "", "ui", "i"]
_INITIAL_ROMAN = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_FINAL_ROMAN = [
    "", "k", "k", "ks", "n", "nj", "nh", "t", "l", "lk", "lm", "lb", "ls", "lt",
    "lp", "lh", "m", "p", "ps", "t", "t", "ng", "t", "t", "k", "t", "p", "h",
]


@lru_cache(maxsize=65536)
def romanize(word: str) -> str:
    """A plain romanization with vowels kept (ㅡ dropped): `카카오` -> `kakao`."""
    parts: list[str] = []
    for char in word:
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            continue
        initial, rest = divmod(code, 588)
        medial, final = divmod(rest, 28)
        parts += [_INITIAL_ROMAN[initial], _MEDIAL_ROMAN[medial], _FINAL_ROMAN[final]]
    return "".join(parts)


_RESPELL: tuple[tuple[str, str], ...] = (
    ("ph", "p"), ("f", "p"), ("v", "b"), ("ck", "k"), ("x", "ks"), ("c(?=[eiy])", "s"), ("c", "k"), ("q", "k"),
    ("iew", "yu"), ("ew", "yu"),
)


@lru_cache(maxsize=65536)
def respell(word: str) -> str:
    """English spelled the way a romanized loanword would be: `codex` -> `kodeks`."""
    spelled = word.lower()
    for pattern, replacement in _RESPELL:
        spelled = re.sub(pattern, replacement, spelled)
    return spelled
