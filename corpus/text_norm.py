"""Small text helpers shared by assembly and search: typography folding, slugs, word lists."""

from __future__ import annotations

import re
import unicodedata

_TYPOGRAPHY = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-"), ("\u00a0", " "))
_WORD = re.compile(r"[\w']+", re.UNICODE)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """`text` without C0 and C1 control characters (tab and newline are kept, carriage returns are
    not): what a feed or a server sends may hold terminal escapes."""
    return _CONTROLS.sub("", text)


def fold_typography(text: str) -> str:
    """Curly quotes, dashes and no-break spaces to their plain forms, NFC."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return text
    for fancy, plain in _TYPOGRAPHY:  # str.replace scans in C; str.translate goes character by character
        if fancy in text:
            text = text.replace(fancy, plain)
    return text


def words(text: str) -> list[str]:
    """Lower-case words, with typography folded: what two copies of a turn are compared on."""
    return [w.lower() for w in _WORD.findall(fold_typography(text))]


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold_typography(text).lower()).strip("-")
    return slug[:100] or "x"


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u1100" <= char <= "\u11ff" or "\u3130" <= char <= "\u318f"


_TERMINAL = tuple(".!?…\"'”’)]。")


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)
