"""Listing what the corpus holds: episodes, speakers, launches."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from corpus.cursor import decode_cursor, next_cursor, query_key
from corpus.dates import date_range
from corpus.errors import InvalidQuery
from corpus.model import Launch, Speaker
from corpus.text_norm import fold_typography

if TYPE_CHECKING:
    from corpus.store import CorpusStore

MAX_PAGE = 100


class LaunchList(BaseModel):
    launches: list[Launch]
    total: int = Field(description="Number of launches matching the filters.")
    next_cursor: str | None = Field(default=None, description="Pass as cursor to get the next page; null on the last page.")


class EpisodeSummary(BaseModel):
    id: str
    title: str
    titles: dict[str, str]
    show: str | None
    url: str | None
    published: str | None = Field(description="ISO date (or date and time) the episode was published; null if undated.")
    duration_seconds: int | None = None
    feed: str | None = Field(default=None, description="The RSS feed the episode came from, if any.")
    languages: list[str]
    turns: int
    speakers: list[str]


class EpisodeList(BaseModel):
    episodes: list[EpisodeSummary]
    total: int
    next_cursor: str | None


class SpeakerList(BaseModel):
    speakers: list[Speaker]
    total: int = Field(description="Number of speakers matching the filter.")


def list_launches(
    store: CorpusStore,
    *,
    kind: str | None = None,
    category: str | None = None,
    query: str | None = None,
    episode: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> LaunchList:
    """One page of the launches matching the filters, in corpus order (best name match first with `query`)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidQuery(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    key = query_key("launches", kind, category, query, episode, store.fingerprint)
    offset = decode_cursor(cursor, key)
    if query and query.strip():  # fuzzy name matching ranks every launch, in Python
        found = matching_launches(store, kind=kind, category=category, query=query, episode=episode)
        page, total = found[offset : offset + limit], len(found)
    else:  # only the page is read and parsed
        where, params = _launch_filters(store, kind, category, episode)
        total = int(store.rows(f"SELECT COUNT(*) FROM launches l{where}", params)[0][0])  # noqa: S608 - fixed clauses
        rows = store.rows(
            f"SELECT l.data FROM launches l{where} ORDER BY l.episode_pk, l.rowid LIMIT ? OFFSET ?",  # noqa: S608 - fixed clauses
            [*params, limit, offset],
        )
        page = [Launch.model_validate_json(row[0]) for row in rows]
    return LaunchList(launches=page, total=total, next_cursor=next_cursor(offset, len(page), total, key))


def _launch_filters(store: CorpusStore, kind: str | None, category: str | None, episode: str | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if episode is not None:
        clauses.append("l.episode_pk = ?")
        params.append(store.episode_pks[store.episode(episode).id])
    if kind:
        clauses.append("lower(json_extract(l.data, '$.kind')) = ?")
        params.append(_bindable(kind.strip().casefold()))
    if category:
        clauses.append("lower(coalesce(json_extract(l.data, '$.category'), '')) = ?")
        params.append(_bindable(category.strip().casefold()))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def matching_launches(
    store: CorpusStore,
    *,
    kind: str | None = None,
    category: str | None = None,
    query: str | None = None,
    episode: str | None = None,
) -> list[Launch]:
    """Every launch matching the filters (kind and category are compared in SQL, before parsing)."""
    if query is not None and len(query) > 200:
        raise InvalidQuery("query is too long for a launch name filter; keep it under 200 characters")
    where, params = _launch_filters(store, kind, category, episode)
    if not (query and query.strip()):
        rows = store.rows(f"SELECT l.data FROM launches l{where} ORDER BY l.episode_pk, l.rowid", params)  # noqa: S608 - fixed clauses
        return [Launch.model_validate_json(row[0]) for row in rows]
    from rapidfuzz import fuzz  # loaded by the first fuzzy filter, not by importing the catalog

    # names first, best match first; only the launches that match are read whole
    needle = fold_typography(query).casefold().strip()
    names = store.rows(
        "SELECT l.rowid, json_extract(l.data, '$.name'), json_extract(l.data, '$.id'), json_extract(l.data, '$.aliases') "  # noqa: S608 - fixed clauses
        f"FROM launches l{where} ORDER BY l.episode_pk, l.rowid",
        params,
    )
    scored = []
    for rowid, name, launch_id, aliases in names:
        best = max(fuzz.partial_ratio(needle, fold_typography(n).casefold()) for n in [name, launch_id, *json.loads(aliases or "[]")])
        if best >= 80:
            scored.append((best, rowid))
    order = [rowid for _, rowid in sorted(scored, key=lambda pair: -pair[0])]
    data = dict(store.rows("SELECT rowid, data FROM launches WHERE rowid IN (SELECT value FROM json_each(?))", (json.dumps(order),)))
    return [Launch.model_validate_json(data[rowid]) for rowid in order]


def _bindable(text: str) -> str:
    """Text SQLite can take: a lone surrogate (not Unicode text at all) becomes U+FFFD and matches nothing."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


EpisodeSort = Literal["added", "newest", "oldest", "title"]
EPISODE_SORTS: tuple[str, ...] = ("added", "newest", "oldest", "title")


def episode_order(store: CorpusStore, sort: str, after: str | None, before: str | None) -> list[str]:
    """Episode ids passing the date filters (inclusive; undated episodes fail any), in `sort` order:
    'added' (index order), 'newest' or 'oldest' first (undated ones last, in index order), 'title'."""
    if sort not in EPISODE_SORTS:
        raise InvalidQuery(f"sort must be one of {', '.join(repr(s) for s in EPISODE_SORTS)}, not {str(sort)[:40]!r}")
    kept = store.episode_numbers(after, before)  # the date filter the search applies, in index order
    dated = store.published if kept is None else [store.published[number] for number in kept]
    if sort == "title":
        titles = store.titles
        dated.sort(key=lambda pair: fold_typography(titles.get(pair[0]) or pair[0]).casefold())
    elif sort in ("newest", "oldest"):
        with_date = sorted((pair for pair in dated if pair[1]), key=lambda pair: pair[1] or "", reverse=sort == "newest")
        dated = with_date + [pair for pair in dated if not pair[1]]  # sorted() is stable: same day, index order
    return [episode_id for episode_id, _ in dated]


def list_episodes(
    store: CorpusStore,
    *,
    limit: int = 20,
    cursor: str | None = None,
    after: str | None = None,
    before: str | None = None,
    sort: str = "added",
) -> EpisodeList:
    """One page of the episodes. The library's default order is the index's ('added'); the tool asks for 'newest'."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidQuery(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    after, before = date_range(after, before)
    plain = sort == "added" and after is None and before is None
    key = query_key("episodes", store.fingerprint) if plain else query_key("episodes", sort, after, before, store.fingerprint)
    offset = decode_cursor(cursor, key)
    ids = list(store.episodes) if plain else episode_order(store, sort, after, before)
    page = [store.episodes[episode_id] for episode_id in ids[offset : offset + limit]]
    counts, languages = store.turn_counts([e.id for e in page]), store.languages([e.id for e in page])
    return EpisodeList(
        episodes=[
            EpisodeSummary(
                id=e.id,
                title=e.title,
                titles=e.titles,
                show=e.show,
                url=e.url,
                published=e.published,
                duration_seconds=e.duration_seconds,
                feed=e.feed,
                languages=languages.get(e.id, [e.language]),
                turns=counts.get(e.id, 0),
                speakers=[s.id for s in e.speakers],
            )
            for e in page
        ],
        total=len(ids),
        next_cursor=next_cursor(offset, len(page), len(ids), key),
    )


def list_speakers(store: CorpusStore, *, episode: str | None = None) -> SpeakerList:
    speakers = list(store.episode(episode).speakers) if episode is not None else list(store.speakers.values())
    return SpeakerList(speakers=speakers, total=len(speakers))
