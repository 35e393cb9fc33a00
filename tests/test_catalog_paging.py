"""list_launches pages like every other listing: limit, cursor, exact total."""

from __future__ import annotations

import pytest

from corpus import catalog
from corpus.errors import CorpusError
from corpus.store import CorpusStore


def test_launch_pages_cover_the_catalog_once(store: CorpusStore) -> None:
    everything = catalog.matching_launches(store)
    seen, cursor = [], None
    while True:
        page = catalog.list_launches(store, limit=3, cursor=cursor)
        assert page.total == len(everything)
        assert len(page.launches) <= 3
        seen += [launch.id for launch in page.launches]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [launch.id for launch in everything]


def test_filters_run_before_paging(store: CorpusStore) -> None:
    models = catalog.list_launches(store, kind="MODEL ", limit=1)
    assert models.total == len([x for x in catalog.matching_launches(store) if x.kind == "model"]) > 1
    assert models.next_cursor is not None


def test_a_cursor_belongs_to_its_filters(store: CorpusStore) -> None:
    cursor = catalog.list_launches(store, limit=1).next_cursor
    with pytest.raises(CorpusError):
        catalog.list_launches(store, kind="model", limit=1, cursor=cursor)
    with pytest.raises(CorpusError):
        catalog.list_launches(store, limit=0)
