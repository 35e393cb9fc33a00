"""The prompts a user picks from a menu. Each one runs the corpus query it needs and hands the model the result."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

from corpus import catalog, turns
from corpus.errors import CorpusError
from mcp_server import render
from mcp_server.corpus_handle import CorpusHandle

SPEAKER_ON_TOPIC = "speaker_on_topic"
LAUNCH_BRIEFING = "launch_briefing"
BILINGUAL_PASSAGE = "bilingual_passage"
PROMPT_NAMES = (SPEAKER_ON_TOPIC, LAUNCH_BRIEFING, BILINGUAL_PASSAGE)


def bad_argument(message: str) -> MCPError:
    """A prompt argument the corpus refuses: a JSON-RPC invalid-params error whose message says how to fix it.

    (Any other exception in a prompt reaches the client as a bare "Error rendering prompt".)
    """
    return MCPError(INVALID_PARAMS, message)


def register_prompts(mcp: MCPServer, corpus: CorpusHandle) -> None:
    @mcp.prompt(name=SPEAKER_ON_TOPIC, title="What did a speaker say about a topic?")
    def speaker_on_topic(
        speaker: Annotated[str, Field(description="Speaker id or name, in English or Korean, e.g. 'sherwin' or '셔윈'.")],
        topic: Annotated[str, Field(description="What they talked about, in English or Korean, e.g. 'Apps SDK'.")],
    ) -> str:
        """What one speaker said about a topic, with timestamps and turn ids to cite."""
        try:
            found = corpus.store.resolve_speaker(speaker)
            result = corpus.searcher.search(topic, speaker=found.id, limit=10)
        except CorpusError as exc:
            raise bad_argument(str(exc)) from exc
        return (
            f"What did {found.name} say about \"{topic}\" in the podcast?\n\n"
            f"Search results for {found.name} ({found.id}):\n{render.search(result)}\n\n"
            "Answer from these turns only. Quote or paraphrase what they said, give the timestamp and turn id of "
            "each point, and read a passage in full with the get_turn tool (before/after for context) when a snippet "
            "is not enough. If nothing matches, say so and suggest a related search."
        )

    @mcp.prompt(name=LAUNCH_BRIEFING, title="Brief me on the launches")
    def launch_briefing(
        language: Annotated[str, Field(description="Language of the briefing: 'en' (default) or 'ko'.")] = "en",
    ) -> str:
        """A briefing on the product launches the episodes discuss, with what the speakers said about each."""
        listing = catalog.list_launches(corpus.store)
        reply = "Korean" if language.strip().casefold() in ("ko", "korean", "한국어") else "English"
        return (
            f"Brief me, in {reply}, on the product launches discussed in the podcast.\n\n"
            f"The launch catalog:\n{render.launches(listing)}\n\n"
            "Group them by kind. For each launch say what it is in one or two sentences, give its link where there is "
            "one, and summarise what the speakers said about it: use get_turn on the turns that mention it "
            "(list_launches gives their turn ids) and cite timestamps."
        )

    @mcp.prompt(name=BILINGUAL_PASSAGE, title="Show this passage in English and Korean")
    def bilingual_passage(
        turn_id: Annotated[str, Field(description="A turn id 'EPISODE:ORDINAL', e.g. 'latent-space-devday-2025:56'.")],
        context: Annotated[str, Field(description="Turns of context on each side, 0-3 (default 1).")] = "1",
    ) -> str:
        """A passage side by side in English and Korean, untranslated turns marked."""
        if not context.strip().isdigit() or not 0 <= int(context) <= 3:
            raise bad_argument("context must be a number of turns from 0 to 3")
        around = int(context)
        try:
            passage = turns.get_passage(corpus.store, turn_id.strip(), before=around, after=around, language="en")
        except CorpusError as exc:
            raise bad_argument(str(exc)) from exc
        blocks = []
        for turn in passage.turns:
            speaker = corpus.store.speakers.get(turn.speaker)
            name = speaker.name if speaker else turn.speaker
            korean = speaker.names.get("ko", name) if speaker else name
            mark = " (the passage asked for)" if turn.turn_id == passage.turn_id else ""
            other = turn.translation or "(번역 없음 / not translated)"
            ko_first, en_first = (other, turn.text) if turn.language == "en" else (turn.text, other)
            blocks.append(f"[{turn.timestamp}] {turn.turn_id}{mark}\nEN {name}: {en_first}\nKO {korean}: {ko_first}")
        return (
            "Show this passage from the podcast in English and Korean, side by side, turn by turn.\n\n"
            + "\n\n".join(blocks)
            + "\n\nKeep the speakers and timestamps. Where a turn has no Korean translation, say so rather than "
            "inventing one, and point out any place where the translation differs in meaning from the English."
        )
