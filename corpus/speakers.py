"""Resolving the speaker labels a file writes to canonical speaker ids."""

from __future__ import annotations

import re
from collections.abc import Iterable

from corpus.model import Speaker
from corpus.text_norm import slugify

_PAREN = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
UNKNOWN_SPEAKER = "unknown"


def label_variants(label: str) -> list[str]:
    """`'셔윈(Sherwin)'` -> `['셔윈(Sherwin)', 'Sherwin', '셔윈']`; a plain label -> itself."""
    label = label.strip()
    variants = [label]
    match = _PAREN.match(label)
    if match:
        variants += [match["inner"].strip(), match["outer"].strip()]
    return variants


class SpeakerResolver:
    """Maps labels to speakers; a label no speaker claims becomes a new speaker."""

    def __init__(self, speakers: Iterable[Speaker]) -> None:
        self._speakers: dict[str, Speaker] = {}
        self._by_alias: dict[str, str] = {}
        for speaker in speakers:
            self._add(speaker)

    def _add(self, speaker: Speaker) -> None:
        self._speakers[speaker.id] = speaker
        for alias in (speaker.id, speaker.name, *speaker.names.values(), *speaker.aliases):
            self._by_alias.setdefault(alias.casefold(), speaker.id)

    def resolve(self, label: str | None) -> str:
        if label is None or not label.strip():
            if UNKNOWN_SPEAKER not in self._speakers:
                self._add(Speaker(id=UNKNOWN_SPEAKER, name="Unknown speaker"))
            return UNKNOWN_SPEAKER
        for variant in label_variants(label):
            found = self._by_alias.get(variant.casefold())
            if found is not None:
                return found
        variants = label_variants(label)
        name = variants[1] if len(variants) > 1 else variants[0]
        new_id = slugify(name)
        while new_id in self._speakers:
            new_id += "-2"
        self._add(Speaker(id=new_id, name=name, aliases=tuple(dict.fromkeys(variants))))
        return new_id

    def speakers(self) -> tuple[Speaker, ...]:
        return tuple(self._speakers.values())

    def replace(self, speaker: Speaker) -> None:
        self._speakers[speaker.id] = speaker
