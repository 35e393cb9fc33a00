"""Argument completion for the resource templates and the prompts (one handler serves both)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer
from mcp_types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from corpus import catalog
from corpus.model import LANGUAGES
from corpus.text_norm import fold_typography
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.invalid_arguments import invalid_params, quoted
from mcp_server.prompts import BILINGUAL_PASSAGE, LAUNCH_BRIEFING, PROMPT_NAMES, SPEAKER_ON_TOPIC
from mcp_server.resources import TEMPLATES

if TYPE_CHECKING:
    from corpus.store import CorpusStore

MAX_VALUES = 100
_NOT_WORD = re.compile(r"[\W_]+")


def _compact(text: str) -> str:
    """Case, typography, spaces and punctuation ignored: 'agent k' and 'Agent-Kit' read as 'agentk', 'agentkit'."""
    return _NOT_WORD.sub("", fold_typography(text).casefold())


def _matching(candidates: Iterable[str], prefix: str) -> Completion:
    needle = fold_typography(prefix).casefold().strip()
    compact = _compact(prefix)
    unique = list(dict.fromkeys(c for c in candidates if c))
    starts = [c for c in unique if fold_typography(c).casefold().startswith(needle) or _compact(c).startswith(compact)]
    inside = [c for c in unique if c not in starts and (needle in fold_typography(c).casefold() or compact in _compact(c))]
    found = starts + inside
    return Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


def speaker_names(store: CorpusStore) -> list[str]:
    """Ids first, then names and aliases in every language."""
    speakers = list(store.speakers.values())
    names = [s.id for s in speakers]
    for s in speakers:
        names += [s.name, *s.names.values(), *s.aliases]
    return names


def turn_ids(store: CorpusStore, prefix: str) -> list[str]:
    """`EPISODE:` ids for a partial episode id; the episode's turn ids once the episode is typed."""
    episode_id, sep, _ = prefix.rpartition(":")
    if sep and episode_id in store.episodes:
        return [f"{episode_id}:{n}" for n in range(store.turn_counts([episode_id]).get(episode_id, 0))]
    return [f"{e}:" for e in store.episodes]


def complete(store: CorpusStore, ref: PromptReference | ResourceTemplateReference, name: str, value: str,
             context: dict[str, str]) -> Completion | None:
    if name == "episode_id":
        return _matching(store.episodes, value)
    if name == "language":
        return _matching(LANGUAGES, value)
    if name == "speaker":
        return _matching(speaker_names(store), value)
    if name == "ordinal":
        episode = context.get("episode_id")
        count = store.turn_counts([episode]).get(episode, 0) if episode else 0
        return _matching((str(n) for n in range(count)), value)
    if name == "turn_id":
        return _matching(turn_ids(store, value), value)
    if name == "topic":
        return _matching((launch.name for launch in catalog.matching_launches(store)), value)
    if name == "context" and isinstance(ref, PromptReference) and ref.name == BILINGUAL_PASSAGE:
        return _matching(["0", "1", "2", "3"], value)
    return None


def register_completions(mcp: MCPServer, corpus: CorpusHandle) -> None:
    known_prompts = {SPEAKER_ON_TOPIC, LAUNCH_BRIEFING, BILINGUAL_PASSAGE}

    @mcp.completion()  # type: ignore[no-untyped-call, untyped-decorator]
    async def handle_completion(
        ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument, context: CompletionContext | None
    ) -> Completion | None:
        if isinstance(ref, PromptReference) and ref.name not in known_prompts:
            raise invalid_params(f"completion for an unknown prompt {quoted(ref.name)}; the prompts are: {', '.join(PROMPT_NAMES)}")
        if isinstance(ref, ResourceTemplateReference) and ref.uri not in TEMPLATES:
            raise invalid_params(
                f"completion for an unknown resource template {quoted(ref.uri)}; the templates are: {', '.join(TEMPLATES)}"
            )
        resolved = dict(context.arguments or {}) if context else {}
        return complete(corpus.store, ref, argument.name, argument.value[:200], resolved)
