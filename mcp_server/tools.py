"""The tools: validate arguments, call one corpus query, shape the result. Nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

from anyio import to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from corpus import catalog, turns
from corpus.catalog import EpisodeList, EpisodeSort, LaunchList, SpeakerList
from corpus.errors import CorpusError
from corpus.search_result import SearchResult
from corpus.turns import Passage, SpeakerTurns
from mcp_server import render
from mcp_server.apps import TOOL_META
from mcp_server.corpus_handle import CorpusHandle

if TYPE_CHECKING:
    from corpus.search import SearchArguments

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False, destructive_hint=False)
M = TypeVar("M", bound=BaseModel)

Query = Annotated[str, Field(description='Words to find, in English or Korean; typos are corrected. "Quoted phrases" and prefix* work.')]
SearchLanguageArg = Annotated[
    Literal["any", "en", "ko"],
    Field(description="'en' or 'ko' returns only turns with text in that language (shown in it); 'any' matches both."),
]
SpeakerArg = Annotated[
    str | None, Field(description="Only this speaker: id, name or alias in English or Korean, e.g. 'sherwin' or '셔윈'.")
]
EpisodeArg = Annotated[str | None, Field(description="Only this episode id (see list_episodes).")]
TimeArg = Annotated[str | int | None, Field(description="'HH:MM:SS' or seconds from the episode start.")]
AfterArg = Annotated[
    str | None,
    Field(description="Only episodes published on or after this date, YYYY-MM-DD (inclusive); undated episodes are left out."),
]
BeforeArg = Annotated[
    str | None,
    Field(description="Only episodes published on or before this date, YYYY-MM-DD (inclusive); undated episodes are left out."),
]
CursorArg = Annotated[str | None, Field(description="next_cursor from the previous page; omit for the first page.")]


def _result(model: M, text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json"))


def _call(fn: Callable[[], M], to_text: Callable[[M], str]) -> CallToolResult:
    try:
        model = fn()
    except CorpusError as exc:
        raise ToolError(str(exc)) from exc
    return _result(model, to_text(model))


async def _serve(corpus: CorpusHandle, fn: Callable[[], M], to_text: Callable[[M], str]) -> CallToolResult:
    """`_call` on the event loop when the handle allows it and the index is open, else in a worker thread.

    A query over an open index takes a few milliseconds of CPU; handing it to a thread and back
    costs a good part of that again (see `CorpusHandle.inline`). The first call, which may build
    the index, always goes to a thread, so the loop stays free meanwhile.
    """
    if corpus.answers_inline:
        return _call(fn, to_text)
    return await to_thread.run_sync(_call, fn, to_text)


def register_tools(mcp: MCPServer, corpus: CorpusHandle) -> None:
    @mcp.tool(title="Search the transcripts", annotations=READ_ONLY, meta=TOOL_META)
    async def search_transcript(
        query: Query,
        language: SearchLanguageArg = "any",
        speaker: SpeakerArg = None,
        episode: EpisodeArg = None,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Hits per page, 1-50.")] = 10,
        cursor: CursorArg = None,
        mode: Annotated[
            Literal["auto", "words", "meaning"],
            Field(
                description="'auto' (default) fuses words and meaning, 'words' finds the query's words only, "
                "'meaning' the turns closest in meaning only."
            ),
        ] = "auto",
        after: AfterArg = None,
        before: BeforeArg = None,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Find the turns of the podcast conversation that talk about something, best first.

        Works with keywords or a natural question, in English or Korean (a Korean query also
        finds turns that exist only in English): it matches words and meaning, so a question
        in other words than the speakers' still finds them. Each hit names the speaker and time, shows a
        snippet with the match in **bold**, and carries the other language's text when there is
        one, the episode's published date and the chapter it falls in. after/before (YYYY-MM-DD)
        keep episodes published in that span. Use get_turn with a hit's turn_id to read the passage around it.
        """

        arguments: SearchArguments = {
            "language": language, "speaker": speaker, "episode": episode, "start": start, "end": end,
            "limit": limit, "cursor": cursor, "mode": mode, "after": after, "before": before,
        }
        opened = corpus.opened_searcher
        kept = opened.recent(query, **arguments) if opened is not None else None
        if kept is not None:  # asked before (by any client): answered here, with no thread hop
            return _call(lambda: kept, render.search)

        def run() -> SearchResult:
            return corpus.searcher.search(query, **arguments)

        return await _serve(corpus, run, render.search)

    @mcp.tool(title="One speaker's turns", annotations=READ_ONLY, meta=TOOL_META)
    async def get_speaker_turns(
        speaker: Annotated[str, Field(description="Speaker id, name or alias in English or Korean, e.g. 'Sherwin' or '크리스티나'.")],
        episode: EpisodeArg = None,
        language: Annotated[
            Literal["en", "ko"], Field(description="Language to show the text in; falls back to the original where untranslated.")
        ] = "en",
        start: TimeArg = None,
        end: TimeArg = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Turns per page, 1-100.")] = 20,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, SpeakerTurns]:
        """Everything one speaker said, in order, optionally between two times.

        An unknown speaker is an error that names the closest known speakers.
        """
        return await _serve(
            corpus,
            lambda: turns.speaker_turns(
                corpus.store, speaker, episode=episode, language=language, start=start, end=end, limit=limit, cursor=cursor
            ),
            render.speaker_turns,
        )

    @mcp.tool(title="Read a passage", annotations=READ_ONLY, meta=TOOL_META)
    async def get_turn(
        turn_id: Annotated[
            str, Field(description="A turn_id from search_transcript or get_speaker_turns, e.g. 'latent-space-devday-2025:56'.")
        ],
        before: Annotated[int, Field(ge=0, le=10, description="Turns of context before it, 0-10.")] = 0,
        after: Annotated[int, Field(ge=0, le=10, description="Turns of context after it, 0-10.")] = 0,
        language: Annotated[Literal["en", "ko"], Field(description="Language to show the text in.")] = "en",
    ) -> Annotated[CallToolResult, Passage]:
        """One turn in full, with the turns around it and both languages where they exist."""
        return await _serve(
            corpus,
            lambda: turns.get_passage(corpus.store, turn_id, before=before, after=after, language=language),
            render.passage,
        )

    @mcp.tool(title="Product launches", annotations=READ_ONLY)
    async def list_launches(
        kind: Annotated[str | None, Field(description="model, docs, cookbook, product or feature.")] = None,
        category: Annotated[str | None, Field(description="models, video, apps, agents, evals or platform.")] = None,
        query: Annotated[str | None, Field(description="Part of a launch name or alias, in English or Korean.")] = None,
        episode: EpisodeArg = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Launches per page, 1-100.")] = 50,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, LaunchList]:
        """The launches the episode article lists and the conversation describes.

        Each has its kind, link and note where the article gives them, aliases in English and
        Korean, and the turns that mention it (turn id, time, speaker, language).
        """
        return await _serve(
            corpus,
            lambda: catalog.list_launches(
                corpus.store, kind=kind, category=category, query=query, episode=episode, limit=limit, cursor=cursor
            ),
            render.launches,
        )

    @mcp.tool(title="Speakers", annotations=READ_ONLY)
    async def list_speakers(episode: EpisodeArg = None) -> Annotated[CallToolResult, SpeakerList]:
        """Who speaks: ids to pass as speaker=, display names, roles and aliases in both languages."""
        return await _serve(corpus, lambda: catalog.list_speakers(corpus.store, episode=episode), render.speakers)

    @mcp.tool(title="Episodes", annotations=READ_ONLY)
    async def list_episodes(
        limit: Annotated[int, Field(ge=1, le=100, description="Episodes per page, 1-100.")] = 20,
        cursor: CursorArg = None,
        after: AfterArg = None,
        before: BeforeArg = None,
        sort: Annotated[
            EpisodeSort,
            Field(
                description="'newest' (default: latest published first, undated episodes last), 'oldest', "
                "'title', or 'added' (the index's order: after a rebuild the episode folders' names in order; "
                "otherwise roughly when each was ingested, and an updated episode moves to the end)."
            ),
        ] = "newest",
    ) -> Annotated[CallToolResult, EpisodeList]:
        """The episodes in the corpus with their titles, published dates, languages and number of turns."""
        return await _serve(
            corpus,
            lambda: catalog.list_episodes(corpus.store, limit=limit, cursor=cursor, after=after, before=before, sort=sort),
            render.episodes,
        )
