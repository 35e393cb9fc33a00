"""From parsed files and the sidecar to one Episode.

The first transcript in the episode's language is primary: its turns are the
episode's turns. Other copies in that language are reconciled against it (their
differences are reported, not merged); translations are aligned turn by turn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.align import Cue, Difference, align_translation, reconcile
from corpus.article import parse_guests, parse_linked_launches, split_sections
from corpus.launches import with_mentions
from corpus.model import ArticleSection, Chapter, Episode, Launch, SourceFile, Speaker, Turn
from corpus.parse.raw import RawDocument, RawTurn
from corpus.sidecar import EpisodeSpec
from corpus.speakers import SpeakerResolver

log = logging.getLogger(__name__)


@dataclass
class AssemblyReport:
    """What assembly noticed: differences between copies, alignment problems."""

    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedSource:
    file: SourceFile
    document: RawDocument
    language: str


def _cues(turns: Sequence[RawTurn], resolver: SpeakerResolver) -> list[Cue]:
    return [Cue(int(t.start or 0), resolver.resolve(t.speaker), t.text) for t in turns]


def _speakers_from_spec(spec: EpisodeSpec) -> list[Speaker]:
    return [Speaker.model_validate(s.model_dump()) for s in spec.speakers]


def _add_guest_details(resolver: SpeakerResolver, sections: Sequence[ArticleSection], heading: str | None) -> None:
    for section in sections:
        if heading is None or section.heading != heading:
            continue
        for guest in parse_guests(section.text):
            speaker_id = resolver.resolve(guest.name)
            speaker = next(s for s in resolver.speakers() if s.id == speaker_id)
            resolver.replace(
                speaker.model_copy(
                    update={
                        "name": guest.name,
                        "role": speaker.role or guest.role,
                        "links": tuple(dict.fromkeys((*speaker.links, *guest.links))),
                    }
                )
            )


def _launches(spec: EpisodeSpec, article_text: str, turns: Sequence[Turn]) -> tuple[Launch, ...]:
    catalog: list[Launch] = []
    for linked in parse_linked_launches(article_text):
        catalog.append(
            Launch(
                id=linked.id,
                name=linked.name,
                kind=linked.kind,
                category=spec.launch_categories.get(linked.kind),
                url=linked.url,
                note=linked.note,
                source="article",
                aliases=tuple(dict.fromkeys((linked.name, *spec.launch_aliases.get(linked.id, ())))),
            )
        )
    known = {launch.id for launch in catalog}
    for curated in spec.launches:
        if curated.id in known:
            continue
        catalog.append(Launch.model_validate(curated.model_dump()))
    return with_mentions(catalog, turns)


def assemble(spec: EpisodeSpec, sources: Sequence[ParsedSource]) -> tuple[Episode, AssemblyReport]:
    report = AssemblyReport()
    resolver = SpeakerResolver(_speakers_from_spec(spec))
    primary = next((s for s in sources if s.language == spec.language and s.document.turns), None)
    if primary is None:
        primary = next(s for s in sources if s.document.turns)
    base = _cues(primary.document.turns, resolver)

    translations: dict[str, list[tuple[str, Sequence[RawTurn]]]] = {}
    for source in sources:
        document = source.document
        if source is not primary and document.turns:
            if source.language == primary.language:
                report.differences += reconcile(base, _cues(document.turns, resolver))
            else:
                translations.setdefault(source.language, []).append((document.path, document.turns))
        for language, translated in document.translations.items():
            translations.setdefault(language, []).append((document.path, translated))

    texts: list[dict[str, str]] = [{primary.language: cue.text} for cue in base]
    cut_off: dict[int, list[str]] = {}
    for language, copies in translations.items():
        for path, copy in copies:
            alignment = align_translation(base, _cues(copy, resolver))
            report.problems += [f"{path}: {p}" for p in alignment.problems]
            for ordinal, text in alignment.pairs.items():
                texts[ordinal].setdefault(language, text)
            if alignment.cut_off is not None:
                cut_off.setdefault(alignment.cut_off, []).append(language)

    article: dict[str, tuple[ArticleSection, ...]] = {}
    for source in sources:
        for language, text in source.document.article.items():
            if text and language not in article:
                article[language] = split_sections(text, spec.article_headings.get(language, ()))
    _add_guest_details(resolver, article.get(spec.language, ()), spec.guests_heading)

    turns = tuple(
        Turn(
            episode_id=spec.id,
            ordinal=ordinal,
            start_seconds=cue.start,
            speaker=cue.speaker,
            text=texts[ordinal],
            cut_off=tuple(cut_off.get(ordinal, ())),
        )
        for ordinal, cue in enumerate(base)
    )
    page = next((s.document for s in sources if s.document.url or s.document.title), None)
    titles = dict(page.title) if page else {}
    if spec.title:
        titles.setdefault(spec.language, spec.title)
    article_source = " ".join(section.text for section in article.get(spec.language, ()))
    episode = Episode(
        id=spec.id,
        title=titles.get(spec.language) or next(iter(titles.values()), spec.id),
        titles=titles,
        show=spec.show,
        author=spec.author or (page.author if page else None),
        url=spec.url or (page.url if page else None),
        published=spec.published,
        duration_seconds=spec.duration_seconds,
        guid=spec.guid,
        feed=spec.feed,
        chapters=tuple(Chapter.model_validate(c.model_dump()) for c in spec.chapters),
        language=spec.language,
        speakers=tuple(s for s in resolver.speakers() if any(t.speaker == s.id for t in turns) or s.id in {p.id for p in spec.speakers}),
        turns=turns,
        article=article,
        launches=_launches(spec, article_source, turns),
        sources=tuple(s.file for s in sources),
    )
    for difference in report.differences:
        log.info("%s: turn %d differs between copies: %s", spec.id, difference.ordinal, difference.detail)
    for problem in report.problems:
        log.warning("%s: %s", spec.id, problem)
    return episode, report
