"""Resource URIs and links: one place that knows their shape."""

from __future__ import annotations

from corpus.model import Episode

SCHEME = "corpus"


def episode_uri(episode_id: str) -> str:
    return f"{SCHEME}://episodes/{episode_id}"


def turn_uri(episode_id: str, ordinal: int) -> str:
    return f"{SCHEME}://episodes/{episode_id}/turns/{ordinal}"


def episode_url(episode: Episode, start_seconds: int | None = None) -> str:
    """The episode's public page, with a `#t=` media fragment for a time; a resource URI if it has no page."""
    base = episode.url or episode_uri(episode.id)
    return f"{base}#t={start_seconds}" if start_seconds is not None else base
