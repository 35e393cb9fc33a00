"""Listing what the corpus holds: episodes, speakers, launches."""

from __future__ import annotations

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from corpus.cursor import decode_cursor, next_cursor, query_key
from corpus.errors import InvalidQuery
from corpus.model import Launch, Speaker
from corpus.store import CorpusStore
from corpus.text_norm import fold_typography

MAX_PAGE = 100


class LaunchList(BaseModel):
    launches: list[Launch]
    total: int


class EpisodeSummary(BaseModel):
    id: str
    title: str
    titles: dict[str, str]
    show: str | None
    url: str | None
    published: str | None
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
) -> LaunchList:
    if query is not None and len(query) > 200:
        raise InvalidQuery("query is too long for a launch name filter; keep it under 200 characters")
    params: list[object] = []
    sql = "SELECT l.data FROM launches l"
    if episode is not None:
        sql += " WHERE l.episode_pk = ?"
        params.append(store.episode_pks[store.episode(episode).id])
    sql += " ORDER BY l.episode_pk, l.rowid"
    launches = [Launch.model_validate_json(row[0]) for row in store.rows(sql, params)]
    if kind:
        launches = [x for x in launches if x.kind.casefold() == kind.strip().casefold()]
    if category:
        launches = [x for x in launches if (x.category or "").casefold() == category.strip().casefold()]
    if query and query.strip():
        needle = fold_typography(query).casefold().strip()

        def score(launch: Launch) -> float:
            names = [launch.name, launch.id, *launch.aliases]
            return max(fuzz.partial_ratio(needle, fold_typography(n).casefold()) for n in names)

        launches = sorted((x for x in launches if score(x) >= 80), key=score, reverse=True)
    return LaunchList(launches=launches, total=len(launches))


def list_episodes(store: CorpusStore, *, limit: int = 20, cursor: str | None = None) -> EpisodeList:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidQuery(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    key = query_key("episodes", store.fingerprint)
    offset = decode_cursor(cursor, key)
    counts = store.turn_counts()
    episodes = list(store.episodes.values())
    page = episodes[offset : offset + limit]
    return EpisodeList(
        episodes=[
            EpisodeSummary(
                id=e.id,
                title=e.title,
                titles=e.titles,
                show=e.show,
                url=e.url,
                published=e.published,
                languages=store.languages().get(e.id, [e.language]),
                turns=counts.get(e.id, 0),
                speakers=[s.id for s in e.speakers],
            )
            for e in page
        ],
        total=len(episodes),
        next_cursor=next_cursor(offset, len(page), len(episodes), key),
    )


def list_speakers(store: CorpusStore, *, episode: str | None = None) -> SpeakerList:
    speakers = list(store.episode(episode).speakers) if episode is not None else list(store.speakers.values())
    return SpeakerList(speakers=speakers, total=len(speakers))
