"""One feed episode -> an ordinary episode folder: transcript files and `episode.json`.

A new folder is written under a temporary name and renamed into place; an existing
one gets its new files beside the old ones and its sidecar replaced last, atomically
(`write_episode`): whenever the process stops, the folder holds a sidecar and the
files it names, old or new; what an interrupted write leaves (`.<id>.<pid>.new`
folders, `.<name>.<pid>.tmp` files) is swept at the start of the next run.

An episode's id comes from the feed's slug and the episode's GUID, so it is stable
across runs whatever the title or date become; when another episode holds that id
(a hand-made folder, or another feed whose slug and GUID run together the same way,
"tech" + "talk-5" and "tech-talk" + "5"), the episode takes one made from a hash of
its feed and GUID instead (`free_id`): a folder that is not this feed episode's is
never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from corpus.errors import ParseError
from corpus.feeds.feed import Feed, FeedEpisode, Person
from corpus.load import episode_folders
from corpus.sidecar import SIDECAR_NAME, ChapterSpec, EpisodeSpec, SourceSpec, SpeakerSpec, public_url, read_sidecar
from corpus.text_norm import slugify, strip_controls

MAX_SLUG = 40
MAX_GUID_PART = 40


def feed_slug(title: str | None, url: str, taken: set[str]) -> str:
    """A short, readable prefix for the feed's episode ids, not used by another feed of the corpus: from
    its title, else from its URL's host and path (never its query); a title in another script (no
    letters a-z) gives the URL's host, or a hash."""
    base = slugify(strip_controls(title)) if title else "x"
    if base == "x" and (title or "").strip().casefold() != "x":
        if "://" in url:
            parts = urlsplit(url)
            base = slugify(f"{parts.hostname or ''} {parts.path.rsplit('/', 1)[-1]}")
        else:
            base = slugify(url.rsplit("/", 1)[-1])
        if base == "x":
            base = "feed-" + hashlib.sha256(url.encode()).hexdigest()[:8]
    base = base[:MAX_SLUG].strip("-") or "feed"
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


Owner = tuple[str | None, str | None]
"""The (feed, GUID) of the episode that holds an id: (None, None) for a hand-made one."""


@dataclass
class Owners:
    """Every id the corpus's episodes use, with whose it is, and the other way round: the id each
    feed episode (feed, GUID) already has, so that it keeps it whatever else changed."""

    ids: dict[str, Owner] = field(default_factory=dict)
    held: dict[Owner, str] = field(default_factory=dict)

    def __contains__(self, identity: object) -> bool:
        return identity in self.ids

    def add(self, identity: str, owner: Owner, *, replace: bool = True) -> None:
        if replace or identity not in self.ids:
            self.ids[identity] = owner
        if owner[1] is not None:
            self.held.setdefault(owner, identity)

    def held_by(self, feed_key: str, guid: str) -> str | None:
        """The id this feed episode already holds in the corpus, if any."""
        return self.held.get((public_url(feed_key), guid)) or self.held.get((feed_key, guid))


def corpus_owners(corpus_dir: Path) -> Owners:
    """Every id the corpus's episodes use, with whose it is: the sidecars the index reads, and the
    top-level folders (with or without a sidecar) an episode's folder could be confused with."""
    owners = Owners()
    if not corpus_dir.is_dir():
        return owners
    for folder in episode_folders(corpus_dir):
        try:
            spec = read_sidecar(folder / SIDECAR_NAME)
        except (ParseError, OSError):
            owners.add(folder.name, (None, None), replace=False)
            continue
        owners.add(spec.id, (spec.feed, spec.guid))
        owners.add(folder.name, (spec.feed, spec.guid), replace=False)
    for child in corpus_dir.iterdir():
        if child.is_dir() and not child.name.startswith("."):
            owners.add(child.name, (None, None), replace=False)
    return owners


def free_id(slug: str, feed_key: str, guid: str, owners: Owners) -> str:
    """The episode's id: the one it already holds in the corpus (so that it is never ingested twice,
    whatever became of the state file), else `episode_id(slug, guid)`, unless another episode (a
    hand-made folder, another feed's episode) holds that; then the slug and a hash of the feed and the
    GUID, which is this episode's alone."""
    held = owners.held_by(feed_key, guid)
    if held is not None:
        return held
    identity = episode_id(slug, guid)
    digest = hashlib.sha256(f"{feed_key}\0{guid}".encode()).hexdigest()
    tried = [identity, f"{slug}-{digest[:12]}"[:100], f"{slug[:40]}-{digest[:24]}"]
    for option in tried:
        if option not in owners.ids or is_mine(owners.ids[option], feed_key, guid):
            return option
    return f"f-{digest[:40]}"


def is_mine(owner: tuple[str | None, str | None], feed_key: str, guid: str) -> bool:
    """Whether a sidecar's (feed, GUID) is this feed episode's (sidecars written before feeds were stored
    without their query name the full URL)."""
    return owner[1] == guid and owner[0] in (feed_key, public_url(feed_key))


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
        feed=public_url(feed_key),
        chapters=chapters,
        language=language,
        sources=tuple(sources),
        speakers=speakers(episode.persons),
    )


PART_NAME = f"{SIDECAR_NAME}.part"
_LEFTOVER_FOLDER = re.compile(r"^\.(?P<id>[^/]+)\.(?P<pid>\d+)\.new$")
_LEFTOVER_FILE = re.compile(r"^\..+\.(?P<pid>\d+)\.tmp$")


def _gone(pid: str) -> bool:
    """Whether the process that wrote a leftover has ended (POSIX; elsewhere assumed alive: nothing
    there is swept, as no lock keeps two runs apart)."""
    if os.name != "posix":
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def _feed_sidecar(path: Path) -> EpisodeSpec | None:
    """A complete sidecar `write_episode` wrote for a feed episode (it names its feed and GUID), else None."""
    try:
        spec = read_sidecar(path)
    except (ParseError, OSError):
        return None
    return spec if spec.feed is not None and spec.guid is not None else None


def sweep_leftovers(corpus_dir: Path, folders: list[Path]) -> None:
    """Clean up after an interrupted `write_episode`, touching only what it writes: a
    `.<id>.<pid>.new` folder at the corpus's root whose writer has ended and which holds the
    sidecar under the name only `write_episode` uses (`episode.json.part`) goes; a folder renamed into
    place whose sidecar is still `episode.json.part` gets it, when that is a complete feed episode's
    sidecar for that very folder; `.<name>.<pid>.tmp` files of ended runs in `folders` go. The caller
    holds the feed lock."""
    if not corpus_dir.is_dir():
        return
    for child in corpus_dir.iterdir():
        if not child.is_dir():
            continue
        part = child / PART_NAME
        leftover = _LEFTOVER_FOLDER.match(child.name)
        if leftover is not None:
            if part.is_file() and _gone(leftover["pid"]):
                shutil.rmtree(child, ignore_errors=True)
        elif part.is_file() and not (child / SIDECAR_NAME).exists():
            spec = _feed_sidecar(part)
            if spec is not None and spec.id == child.name:
                os.replace(part, child / SIDECAR_NAME)
    for folder in folders:
        if folder.is_dir():
            for child in folder.iterdir():
                match = _LEFTOVER_FILE.match(child.name)
                if child.is_file() and match is not None and _gone(match["pid"]):
                    child.unlink(missing_ok=True)


def _write_file(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def write_episode(corpus_dir: Path, spec: EpisodeSpec, files: dict[str, bytes]) -> Path:
    """Write (or replace) the episode folder `corpus_dir/<id>/` so that it holds a complete episode at
    every moment: a new folder is written under a temporary name, its sidecar as `episode.json.part`
    (so that no index reads the temporary folder as an episode), renamed into place, and its sidecar
    renamed last (a run that stops in between is finished by `sweep_leftovers`); in an
    existing one, each new transcript file is written beside the old ones (under its own name when
    that is free or holds the same bytes, else a content-derived name), the sidecar is replaced last
    with one atomic `os.replace`, and only then are the other files (but those in `files`, and hidden
    ones) removed. The sidecar written names the files as written (`spec.sources` is renamed)."""
    final = corpus_dir / spec.id
    if not final.exists():
        temp = corpus_dir / f".{spec.id}.{os.getpid()}.new"
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        try:
            # the sidecar first, under a name the index does not read: it marks the folder as ours (sweep_leftovers)
            (temp / PART_NAME).write_text(_sidecar_text(spec), encoding="utf-8")
            for name, data in files.items():
                (temp / name).write_bytes(data)
            temp.rename(final)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        os.replace(final / PART_NAME, final / SIDECAR_NAME)  # killed just before: sweep_leftovers finishes it
        return final
    renamed: dict[str, str] = {}
    for name, data in files.items():
        target = final / name
        if target.is_file() and target.read_bytes() == data:
            continue
        if target.exists():
            stem, dot, suffix = name.partition(".")
            name_as_written = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{dot}{suffix}"
            renamed[name] = name_as_written
            target = final / name_as_written
        _write_file(target, data)
    if renamed:
        spec = spec.model_copy(update={"sources": tuple(
            source.model_copy(update={"path": renamed.get(source.path, source.path)}) for source in spec.sources
        )})
    _write_file(final / SIDECAR_NAME, _sidecar_text(spec).encode("utf-8"))
    kept = {source.path for source in spec.sources} | {renamed.get(name, name) for name in files} | {SIDECAR_NAME}
    for child in final.iterdir():
        if child.is_file() and child.name not in kept and not child.name.startswith("."):
            child.unlink()
    return final


def _sidecar_text(spec: EpisodeSpec) -> str:
    return json.dumps(spec.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, indent=2) + "\n"
