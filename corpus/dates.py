"""Dates, in one place: as users pass them (the date filters, `ingest --since`: ISO 'YYYY-MM-DD',
strictly, inclusive at both ends), and as episodes give them (`published` in a sidecar: a date, or
a date and time, with an offset or not).

An episode's day is its `published` date in UTC when the value has a time with an offset
('2025-10-06T23:30:00-05:00' is the 7th), else the date as written; feeds give UTC times
('...Z'), so a feed episode and a hand-made one are compared the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from corpus.errors import InvalidQuery

_PUBLISHED = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def check_published(value: str | None) -> str | None:
    """`published` as given, when it is 'YYYY-MM-DD' or that with a time ('THH:MM[:SS[.ffffff]]') and an
    optional offset ('Z', '+09:00'); ValueError otherwise ('2025-10-06Tjunk', '20251006')."""
    if value is None:
        return None
    if not isinstance(value, str) or not _PUBLISHED.match(value):
        raise ValueError(f"published must be an ISO date (YYYY-MM-DD, optionally with a time), not {str(value)[:40]!r}")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"published must be an ISO date (YYYY-MM-DD, optionally with a time), not {value[:40]!r}") from None
    return value


def published_day(value: str | None) -> str | None:
    """The day an episode counts as published on (see the module doc): 'YYYY-MM-DD', or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:10]
    if len(value) > 10 and moment.tzinfo is not None:
        try:
            return moment.astimezone(UTC).date().isoformat()
        except OverflowError:  # '9999-12-31T23:30:00-01:00' is past the last day a date can hold
            return value[:10]
    return value[:10]


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
    day = published_day(published)
    if not day:
        return False
    return (after is None or day >= after) and (before is None or day <= before)
