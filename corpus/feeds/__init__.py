"""Podcast feeds in: RSS with the Podcasting 2.0 namespace, turned into ordinary episode folders.

    feed.py       the feed's XML -> plain dataclasses (feedparser for RSS/Atom, the namespace by hand;
                  defusedxml first, so that no entity is ever expanded)
    fetch.py      a bounded HTTP client (httpx): timeouts, size caps, redirects, content types, retries
    choose.py     which of an episode's transcripts to take, and in which format
    chapters.py   Podcasting 2.0 chapters JSON -> chapters
    to_corpus.py  an episode -> its folder (transcript files + episode.json) under an id no other
                  episode holds, written so that a crash never leaves it without its sidecar
    state.py      per corpus: each feed's URL, ETag/Last-Modified and the GUIDs already ingested,
                  under a lock
    run.py        one feed (or every known feed) end to end, one bad episode never stopping the rest

Nothing here imports the MCP server; an episode from a feed is parsed and indexed like any other.
"""
