"""Times as users pass them: 'HH:MM:SS', 'MM:SS' or seconds."""

from __future__ import annotations

from corpus.clock import parse_clock
from corpus.errors import InvalidQuery


def parse_time(value: str | int | None, name: str) -> int | None:
    """'HH:MM:SS', 'MM:SS' or seconds (int or digits) -> seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidQuery(f"{name} must be 'HH:MM:SS' or a number of seconds")
    if isinstance(value, int):
        seconds: float | None = float(value)
    else:
        text = str(value).strip()
        # ASCII digits only ('²'.isdigit() is True but float('²') fails); a long string is no time
        seconds = None if len(text) > 40 else float(text) if text.isascii() and text.isdigit() else parse_clock(text)
    if seconds is None or seconds < 0 or seconds > 1_000_000:
        raise InvalidQuery(f"{name} must be 'HH:MM:SS' or a number of seconds, not {str(value)[:40]!r}")
    return int(seconds)
