"""Dates as users pass them to the date filters: ISO 'YYYY-MM-DD', inclusive at both ends."""

from __future__ import annotations

from datetime import date

from corpus.errors import InvalidQuery


def parse_date(value: str | None, name: str) -> str | None:
    """'YYYY-MM-DD' -> the same, checked (a real calendar date); None or '' -> None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if len(text) != 10 or not text.isascii():
        raise InvalidQuery(f"{name} must be a date as YYYY-MM-DD, e.g. '2025-10-06', not {str(value)[:40]!r}")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidQuery(f"{name} must be a date as YYYY-MM-DD, e.g. '2025-10-06', not {text!r}") from None


def date_range(after: str | None, before: str | None) -> tuple[str | None, str | None]:
    """Both filters checked, and in order: (after, before), each inclusive."""
    low, high = parse_date(after, "after"), parse_date(before, "before")
    if low is not None and high is not None and low > high:
        raise InvalidQuery(f"after ({low}) is later than before ({high}); both dates are inclusive")
    return low, high


def in_range(published: str | None, after: str | None, before: str | None) -> bool:
    """Whether an episode's date passes the filters; an undated episode passes only when there are none."""
    if after is None and before is None:
        return True
    if not published:
        return False
    day = published[:10]
    return (after is None or day >= after) and (before is None or day <= before)
