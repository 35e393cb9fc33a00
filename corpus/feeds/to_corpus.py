"""One feed episode -> an ordinary episode folder: transcript files and `episode.json`.

The folder is written beside its final place under a temporary name, its sidecar
under a name the index does not read (`episode.json.part`), then renamed into place
and the sidecar last: at no moment does the corpus hold half an episode, or two
folders with the same sidecar. An episode's id comes from the feed's slug and the
episode's GUID, so it is stable across runs whatever the title or date become.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from corpus.feeds.feed import Feed, FeedEpisode, Person
from corpus.sidecar import SIDECAR_NAME, ChapterSpec, EpisodeSpec, SourceSpec, SpeakerSpec
from corpus.text_norm import slugify

MAX_SLUG = 40
MAX_GUID_PART = 40


def feed_slug(title: str | None, url: str, taken: set[str]) -> str:
    """A short, readable prefix for the feed's episode ids, not used by another feed of the corpus."""
    base = slugify(title or url.rsplit("/", 1)[-1] or "feed")[:MAX_SLUG].strip("-") or "feed"
    slug = base
    if slug in taken:
        slug = f"{base[:MAX_SLUG - 9]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    return slug


def episode_id(slug: str, guid: str) -> str:
    """`<feed slug>-<guid>`: the GUID itself when it is short, lower case and plain (`ep-12`), else 12 hex
    digits of its hash (GUIDs are compared exactly: `Ep-12` is another episode)."""
    plain = slugify(guid)
    part = plain if plain == guid and len(plain) <= MAX_GUID_PART else hashlib.sha256(guid.encode()).hexdigest()[:12]
    return f"{slug}-{part}"[:100].strip("-")


def speakers(persons: tuple[Person, ...]) -> tuple[SpeakerSpec, ...]:
    """`podcast:person`s as speakers: their role, and host=True for hosts (the search's exchanges use it)."""
    found: list[SpeakerSpec] = []
    used: set[str] = set()
    for person in persons:
        if person.group not in ("cast", ""):
            continue  # writing, audio post-production, ...: people who do not speak
        speaker_id = slugify(person.name)[:64].strip("-")
        if speaker_id == "x" and person.name.casefold() != "x":  # a name in another script: no letters a-z left
            speaker_id = "person-" + hashlib.sha256(person.name.encode()).hexdigest()[:8]
        if speaker_id in used:
            continue
        used.add(speaker_id)
        first = person.name.split()[0]
        found.append(
            SpeakerSpec(
                id=speaker_id,
                name=person.name,
                role=person.role.title(),
                host=person.role in ("host", "co-host", "guest host"),
                aliases=tuple(dict.fromkeys((person.name, first))),
                links=(person.href,) if person.href and person.href.startswith(("http://", "https://")) else (),
            )
        )
    return tuple(found)


def episode_spec(
    feed_key: str,
    feed: Feed,
    episode: FeedEpisode,
    identity: str,
    sources: list[SourceSpec],
    chapters: tuple[ChapterSpec, ...],
) -> EpisodeSpec:
    language = sources[0].language or feed.language or "en"
    return EpisodeSpec(
        id=identity,
        title=episode.title or episode.guid[:200],
        show=feed.title,
        author=feed.author,
        url=episode.link,
        published=episode.published,
        duration_seconds=episode.duration_seconds,
        guid=episode.guid,
        feed=feed_key,
        chapters=chapters,
        language=language,
        sources=tuple(sources),
        speakers=speakers(episode.persons),
    )


def write_episode(corpus_dir: Path, spec: EpisodeSpec, files: dict[str, bytes]) -> Path:
    """Write (or replace) the folder `corpus_dir/<id>/` atomically (see the module doc)."""
    final = corpus_dir / spec.id
    temp = corpus_dir / f".{spec.id}.{os.getpid()}.new"
    old = corpus_dir / f".{spec.id}.{os.getpid()}.old"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    try:
        for name, data in files.items():
            (temp / name).write_bytes(data)
        sidecar = json.dumps(spec.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, indent=2) + "\n"
        (temp / f"{SIDECAR_NAME}.part").write_text(sidecar, encoding="utf-8")
        replaced = final.exists()
        if replaced:
            if (final / SIDECAR_NAME).exists():
                (final / SIDECAR_NAME).rename(final / f"{SIDECAR_NAME}.old")  # the old copy stops being an episode first
            final.rename(old)
        try:
            temp.rename(final)
        except OSError:
            if replaced:  # put the old episode back as it was
                old.rename(final)
                (final / f"{SIDECAR_NAME}.old").rename(final / SIDECAR_NAME)
            raise
        (final / f"{SIDECAR_NAME}.part").rename(final / SIDECAR_NAME)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return final
