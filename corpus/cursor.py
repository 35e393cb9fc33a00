"""Opaque paging cursors.

A cursor carries the offset of the next page and a short key of the query
that made it (its arguments and the index it ran on), so a cursor passed to
another query, or kept across an index rebuild, is refused with a clear
message instead of silently paging through something else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from corpus.errors import InvalidQuery

MAX_OFFSET = 1_000_000


def query_key(*parts: Any) -> str:
    # ensure_ascii: any string hashes, lone surrogates included
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def encode_cursor(offset: int, key: str) -> str:
    raw = json.dumps({"o": offset, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, key: str) -> int:
    """The offset a cursor points at; 0 for no cursor. Raises InvalidQuery for a bad one."""
    if cursor is None or cursor == "":
        return 0
    hint = "pass the next_cursor value from the previous result unchanged, or omit cursor to start over"
    if not isinstance(cursor, str) or len(cursor) > 200:
        raise InvalidQuery(f"invalid cursor; {hint}")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset, cursor_key = data["o"], data["k"]
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise InvalidQuery(f"invalid cursor; {hint}") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidQuery(f"invalid cursor; {hint}")
    if cursor_key != key:
        raise InvalidQuery(
            "this cursor belongs to a different query, different arguments or an older index; "
            "repeat the same call with the cursor it returned, or omit cursor to start over"
        )
    return offset


def next_cursor(offset: int, page: int, total: int, key: str) -> str | None:
    return encode_cursor(offset + page, key) if offset + page < total else None
