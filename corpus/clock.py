"""Timestamps as transcripts write them."""

from __future__ import annotations

import re

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")


def parse_clock(value: str) -> float | None:
    """`'01:02:03'`, `'2:03'`, `'00:01:02.500'` or `'00:01:02,500'` -> seconds; None if not a clock."""
    match = _CLOCK.match(value.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total = float(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds))
    if fraction:
        total += int(fraction.ljust(3, "0")) / 1000
    return total
