"""Adding transcripts to a corpus directory, then bringing its index up to date.

`ingest(paths, corpus_dir, index_path)` accepts, for each path:

- an episode folder (it has an `episode.json`): copied as it is;
- a transcript file (`.vtt`, `.srt`, `.json`, `.txt`, `.md`): becomes an episode
  folder named after the file, with an `episode.json` written for it;
- any other folder: searched for both of the above.

Beside a transcript `NAME.EXT` two optional files are picked up:
`NAME.meta.json`, the metadata sidecar (`MetaSpec`: title, url, language,
published date, speakers with roles and aliases), and `NAME.LANG.EXT` (e.g.
`talk.ko.vtt`), a translation, listed as a `translation` source in `LANG` and
aligned to the original turn by turn when the episode is assembled.

Every file is parsed before anything is copied: a malformed file is reported
with its own path and line and skipped, and every other file is still ingested.
Files are written only when their bytes differ, so ingesting the same files
again changes nothing, and the index update (`build_index`) re-indexes only the
episode folders whose files changed; what the index already holds is kept. An
episode folder whose files the corpus holds byte for byte, and its index was
built from, is not parsed again: copying it would change nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corpus.errors import CorpusError, ParseError
from corpus.index.build import BuildReport, build_index, corpus_fingerprint, read_meta, read_pairs
from corpus.index.vectors import EmbedReport, embed_missing
from corpus.parse import TRANSCRIPT_SUFFIXES, detect_format, parse_file, read_text
from corpus.semantic.embedder import semantic_enabled
from corpus.sidecar import SIDECAR_NAME, EpisodeSpec, SourceSpec, SpeakerSpec, read_sidecar
from corpus.text_norm import slugify

META_SUFFIX = ".meta.json"
_TRANSLATION = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2})$")

Progress = Callable[[str, int, int, str], None]
"""progress(phase, done, total, item): phase is 'copy' or 'index'."""


class MetaSpeaker(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    names: dict[str, str] = Field(default_factory=dict)
    role: str | None = None
    host: bool = False
    aliases: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


class MetaSpec(BaseModel):
    """`NAME.meta.json`: what a bare transcript file cannot say about its episode."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    title: str | None = None
    show: str | None = None
    author: str | None = None
    url: str | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]+)?$")
    published: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$")
    speakers: tuple[MetaSpeaker, ...] = ()


@dataclass
class Planned:
    """One episode folder to write: its files (destination name -> source file) and sidecar text."""

    episode_id: str
    origin: Path
    files: dict[str, Path]
    sidecar: str | None
    held: bool = False
    """The corpus holds these very files already (nothing to write)."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    index: BuildReport | None = None
    vectors: EmbedReport | None = None
    seconds: float = 0.0

    def summary(self, *, files: bool = True) -> str:
        """The report as lines of text; `files=False` leaves out the line about ingested files (a feeds-only run)."""
        lines = [
            f"ingested {len(self.added) + len(self.updated) + len(self.unchanged)} episodes: "
            f"{len(self.added)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.errors)} failed"
        ] if files else []
        if self.index is None:
            lines.append("index: already up to date")
        else:
            lines.append(
                f"index: {len(self.index.indexed)} episodes indexed, {self.index.unchanged} unchanged, "
                f"{len(self.index.removed)} removed, {len(self.index.errors)} errors"
                f"{' (rebuilt)' if self.index.rebuilt else ''} in {self.index.seconds:.1f}s"
            )
        lines.append(self._vectors_line())
        lines += [f"error: {error}" for error in self.errors]
        lines.append(f"done in {self.seconds:.1f}s")
        return "\n".join(lines)


    def _vectors_line(self) -> str:
        vectors = self.vectors
        if vectors is None:
            return "vectors: off (search by words only)"
        if vectors.error is not None:
            return f"vectors: not computed: {vectors.error}"
        if vectors.missing == 0:
            return "vectors: every passage has one"
        rate = vectors.embedded / vectors.seconds if vectors.seconds else 0.0
        return f"vectors: {vectors.embedded} of {vectors.missing} missing passages embedded in {vectors.seconds:.1f}s ({rate:.1f}/s)"


def read_meta_sidecar(path: Path) -> MetaSpec:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ParseError(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    try:
        return MetaSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseError(path, None, f"{where}: {first['msg']}") from exc


def _is_meta(path: Path) -> bool:
    return path.name.endswith(META_SUFFIX)


def _is_transcript(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in TRANSCRIPT_SUFFIXES and not _is_meta(path) and path.name != SIDECAR_NAME


def _translation_of(path: Path, siblings: set[str]) -> tuple[str, str] | None:
    """(original file name, language) when `path` is `NAME.LANG.EXT` next to a transcript `NAME.EXT2`."""
    match = _TRANSLATION.match(path.stem)
    if match is None:
        return None
    same = f"{match['stem']}{path.suffix}"
    if same in siblings:
        return same, match["lang"]
    others = sorted(name for name in siblings if name != path.name and name.rsplit(".", 1)[0] == match["stem"])
    return (others[0], match["lang"]) if others else None


def _speaker_specs(meta: MetaSpec) -> tuple[SpeakerSpec, ...]:
    specs: list[SpeakerSpec] = []
    used: set[str] = set()
    for speaker in meta.speakers:
        speaker_id = speaker.id or slugify(speaker.name)[:64]
        while speaker_id in used:
            speaker_id = f"{speaker_id[:60]}-2"
        used.add(speaker_id)
        aliases = tuple(dict.fromkeys((speaker.name, *speaker.names.values(), *speaker.aliases)))
        specs.append(
            SpeakerSpec(
                id=speaker_id, name=speaker.name, names=speaker.names, role=speaker.role,
                host=speaker.host, aliases=aliases, links=speaker.links,
            )
        )
    return tuple(specs)


def _plan_file(path: Path, translations: Sequence[tuple[Path, str]]) -> Planned:
    """Parse a loose transcript (and its translations and metadata) and describe its episode folder."""
    meta_path = path.with_name(path.name.removesuffix(path.suffix) + META_SUFFIX)
    meta = read_meta_sidecar(meta_path) if meta_path.is_file() else MetaSpec()
    format_name = detect_format(path, read_text(path))
    document = parse_file(path, format_name)
    language = meta.language or document.language
    sources = [SourceSpec(path=path.name, format=format_name, role="transcript", language=language)]
    files = {path.name: path}
    for translated, translated_language in translations:
        translated_format = detect_format(translated, read_text(translated))
        parse_file(translated, translated_format)
        sources.append(SourceSpec(path=translated.name, format=translated_format, role="translation", language=translated_language))
        files[translated.name] = translated
    episode_id = meta.id or slugify(path.name.removesuffix(path.suffix))
    title = meta.title or next(iter(document.title.values()), None) or path.name.removesuffix(path.suffix).replace("_", " ")
    spec = EpisodeSpec(
        id=episode_id,
        title=title,
        show=meta.show,
        author=meta.author or document.author,
        url=meta.url or document.url,
        published=meta.published,
        language=language,
        sources=tuple(sources),
        speakers=_speaker_specs(meta),
    )
    sidecar = json.dumps(spec.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, indent=2) + "\n"
    return Planned(episode_id, path, files, sidecar)


def _plan_folder(folder: Path, corpus_dir: Path, indexed: dict[str, str]) -> Planned:
    """An episode folder: its sidecar and every source it lists must parse, unless the corpus
    and its index hold the same files already (`indexed`: see `_indexed_files`)."""
    spec = read_sidecar(folder / SIDECAR_NAME)
    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    if _holds(corpus_dir, spec.id, files, indexed):
        return Planned(spec.id, folder, files, None, held=True)
    for source in spec.sources:
        source_path = folder / source.path
        if not source_path.is_file():
            raise ParseError(folder / SIDECAR_NAME, None, f"source '{source.path}' does not exist")
        parse_file(source_path, source.format or detect_format(source_path, read_text(source_path)))
    return Planned(spec.id, folder, files, None)


def _holds(corpus_dir: Path, episode_id: str, files: dict[str, Path], indexed: dict[str, str]) -> bool:
    """Whether the episode's folder in the corpus has every one of `files` (name -> source) with
    the same bytes, and the index was built from those very bytes (`indexed`: path in the corpus
    -> SHA-256). A copy the index never took (put there by hand, say, and malformed) is checked
    again, so its error is seen."""
    for name, source in files.items():
        target = corpus_dir / episode_id / name
        try:
            if target.stat().st_size != source.stat().st_size:
                return False
            data = source.read_bytes()
            if indexed.get(f"{episode_id}/{name}") != hashlib.sha256(data).hexdigest() or target.read_bytes() != data:
                return False
        except OSError:  # missing, or a folder where the file should be
            return False
    return True


def _indexed_files(index_path: Path, corpus_dir: Path) -> dict[str, str]:
    """Every file the index of `corpus_dir` was built from (path in the corpus -> SHA-256); {}
    when there is no such index or it cannot be read (then nothing counts as held)."""
    if read_meta(index_path).get("corpus_dir") != str(corpus_dir):
        return {}
    return read_pairs(index_path, "SELECT path, sha256 FROM sources")


def _inputs(paths: Iterable[Path]) -> list[tuple[str, Path, list[tuple[Path, str]]]]:
    """Expand paths to ('folder', episode folder, []) and ('file', transcript, translations)."""
    found: list[tuple[str, Path, list[tuple[Path, str]]]] = []

    def add_files(files: list[Path]) -> None:
        names = {p.name for p in files}
        translated: dict[str, list[tuple[Path, str]]] = {}
        originals: list[Path] = []
        for file in files:
            link = _translation_of(file, names)
            if link is not None:
                translated.setdefault(link[0], []).append((file, link[1]))
            else:
                originals.append(file)
        found.extend(("file", file, translated.get(file.name, [])) for file in originals)

    def walk(folder: Path) -> None:
        if (folder / SIDECAR_NAME).is_file():
            found.append(("folder", folder, []))
            return
        entries = sorted(folder.iterdir())
        add_files([p for p in entries if _is_transcript(p)])
        for child in entries:
            if child.is_dir() and not child.name.startswith("."):
                walk(child)

    loose: dict[Path, list[Path]] = {}
    for path in paths:
        if path.is_dir():
            walk(path)
        elif _is_transcript(path):
            loose.setdefault(path.parent, []).append(path)
        elif path.name == SIDECAR_NAME:
            found.append(("folder", path.parent, []))
    for parent, files in loose.items():
        # a translation named on the command line beside its original is linked, not ingested alone
        siblings = [p for p in sorted(parent.iterdir()) if _is_transcript(p)]
        names = {p.name for p in files}
        before = len(found)
        add_files(siblings)
        found[before:] = [entry for entry in found[before:] if entry[1].name in names]
    return found


def _write_if_changed(destination: Path, data: bytes) -> bool:
    if destination.is_file() and destination.read_bytes() == data:
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_name(f".{destination.name}.tmp")
    temp.write_bytes(data)
    temp.replace(destination)
    return True


def _write_episode(corpus_dir: Path, planned: Planned) -> str:
    """Copy one planned episode into `corpus_dir/<id>/`: 'added', 'updated' or 'unchanged'."""
    if planned.held:
        return "unchanged"
    folder = corpus_dir / planned.episode_id
    existed = folder.is_dir()
    changed = False
    for name, source in planned.files.items():
        changed |= _write_if_changed(folder / name, source.read_bytes())
    if planned.sidecar is not None:
        changed |= _write_if_changed(folder / SIDECAR_NAME, planned.sidecar.encode())
    if not existed:
        return "added"
    return "updated" if changed else "unchanged"


def ingest(
    paths: Sequence[Path],
    corpus_dir: Path,
    index_path: Path,
    *,
    progress: Progress | None = None,
    embed: bool = True,
) -> IngestReport:
    """Copy `paths` into `corpus_dir` as episode folders, then update the index (see the module doc);
    then, when search by meaning is on and `embed`, compute the vectors the index lacks."""
    started = time.perf_counter()
    report = IngestReport()
    corpus_dir.mkdir(parents=True, exist_ok=True)
    corpus_dir = corpus_dir.resolve()
    inputs = _inputs(Path(p) for p in paths)
    indexed = _indexed_files(index_path, corpus_dir)
    claimed: dict[str, Path] = {}
    for number, (kind, path, translations) in enumerate(inputs, start=1):
        if progress is not None:
            progress("copy", number, len(inputs), path.name)
        try:
            planned = _plan_folder(path, corpus_dir, indexed) if kind == "folder" else _plan_file(path, translations)
        except ParseError as exc:
            report.errors.append(exc)
            continue
        except (CorpusError, OSError) as exc:
            report.errors.append(ParseError(path, None, str(exc)))
            continue
        if planned.episode_id in claimed:
            report.errors.append(
                ParseError(path, None, f"episode id '{planned.episode_id}' is also the id of {claimed[planned.episode_id]}; "
                           "rename the file or set \"id\" in its metadata sidecar")
            )
            continue
        claimed[planned.episode_id] = path
        outcome = _write_episode(corpus_dir, planned)
        getattr(report, outcome).append(planned.episode_id)

    meta = read_meta(index_path)
    if report.added or report.updated or meta.get("fingerprint") != corpus_fingerprint(corpus_dir):
        on_index = None
        if progress is not None:
            callback = progress

            def on_index(done: int, total: int, item: str) -> None:
                callback("index", done, total, item)

        report.index = build_index(corpus_dir, index_path, progress=on_index)
        report.errors += report.index.errors
    if embed and semantic_enabled() and index_path.is_file():
        # the words are published: the episodes are searchable by words while their vectors are computed
        on_embed = None
        if progress is not None:
            show = progress

            def on_embed(done: int, total: int) -> None:
                show("embed", done, total, "passages")

        report.vectors = embed_missing(index_path, progress=on_embed)
    report.seconds = time.perf_counter() - started
    return report


class ProgressBar:
    """A one-line progress bar on a terminal stream (stderr), redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int, item: str) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = self.width * done // max(total, 1)
        label = {"copy": "copying ", "embed": "embedding"}.get(phase, "indexing")
        self.stream.write(f"\r{label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {item[:40]:<40}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
