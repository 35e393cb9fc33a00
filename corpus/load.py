"""Reading episodes from disk: an episode is a folder with `episode.json` and its transcript files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from corpus.assemble import AssemblyReport, ParsedSource, assemble
from corpus.errors import ParseError
from corpus.locations import BUNDLED_CORPUS as BUNDLED_CORPUS  # its old home: still importable from here
from corpus.model import Episode, SourceFile
from corpus.parse import detect_format, parse_file, read_text
from corpus.sidecar import SIDECAR_NAME, read_sidecar


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class LoadedEpisode:
    episode: Episode
    report: AssemblyReport


def load_episode(folder: Path, root: Path | None = None) -> LoadedEpisode:
    """Parse one episode folder; any malformed file is a ParseError naming it."""
    spec = read_sidecar(folder / SIDECAR_NAME)
    root = root or folder.parent
    parsed: list[ParsedSource] = []
    for source in spec.sources:
        path = (folder / source.path).resolve()
        if folder.resolve() not in path.parents:
            raise ParseError(folder / SIDECAR_NAME, None, f"source '{source.path}' is outside the episode folder")
        if not path.is_file():
            raise ParseError(folder / SIDECAR_NAME, None, f"source '{source.path}' does not exist")
        format_name = source.format or detect_format(path, read_text(path))
        document = parse_file(path, format_name)
        parsed.append(
            ParsedSource(
                file=SourceFile(
                    path=path.relative_to(root.resolve()).as_posix(),
                    sha256=file_sha256(path),
                    format=format_name,
                    role=source.role,
                ),
                document=document,
                language=source.language or document.language,
            )
        )
    if not any(p.document.turns for p in parsed):
        raise ParseError(folder / SIDECAR_NAME, None, "the episode lists no transcript with turns")
    episode, report = assemble(spec, parsed)
    return LoadedEpisode(episode, report)


def episode_folders(corpus_dir: Path) -> list[Path]:
    """Every folder under `corpus_dir` holding an `episode.json`, in a stable order."""
    return sorted(p.parent for p in corpus_dir.rglob(SIDECAR_NAME))
