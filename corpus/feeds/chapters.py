"""Podcasting 2.0 chapters JSON (`{"version", "chapters": [{"startTime", "title", "url"?, "toc"?}]}`) -> chapters. Pure."""

from __future__ import annotations

import json
import math

from corpus.sidecar import ChapterSpec

MAX_CHAPTERS = 1000


def parse_chapters(data: bytes) -> tuple[ChapterSpec, ...]:
    """The chapters in start order; chapters marked `"toc": false` (not for a table of contents) and
    those without a title or a start are left out. ValueError says what is wrong with the file."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"chapters are not JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("chapters"), list):
        raise ValueError("chapters JSON has no 'chapters' list")
    found: list[ChapterSpec] = []
    for item in document["chapters"][:MAX_CHAPTERS]:
        if not isinstance(item, dict) or item.get("toc") is False:
            continue
        start, title = item.get("startTime"), item.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float) or not math.isfinite(start) or start < 0:
            continue
        if not isinstance(title, str) or not title.strip():
            continue
        url = item.get("url")
        found.append(ChapterSpec(title=" ".join(title.split())[:300], start_seconds=int(start),
                                 url=url if isinstance(url, str) and url.startswith(("http://", "https://")) else None))
    return tuple(sorted(found, key=lambda chapter: chapter.start_seconds))
