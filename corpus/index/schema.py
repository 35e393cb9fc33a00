"""The index's SQL schema. Bump SCHEMA_VERSION whenever this text changes meaning."""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE episodes (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    data TEXT NOT NULL            -- Episode JSON without turns and launches
);
CREATE TABLE sources (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (episode_pk, path)
) WITHOUT ROWID;
CREATE TABLE speakers (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (episode_pk, id)
) WITHOUT ROWID;
CREATE TABLE turns (
    pk INTEGER PRIMARY KEY,
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_seconds INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    data TEXT NOT NULL,           -- Turn JSON
    weight REAL NOT NULL,         -- length prior: short turns rank lower on an equal match
    UNIQUE (episode_pk, ordinal)
);
CREATE INDEX turns_by_speaker ON turns (speaker, episode_pk, ordinal);
CREATE TABLE docs (
    pk INTEGER PRIMARY KEY,
    turn_pk INTEGER NOT NULL REFERENCES turns(pk) ON DELETE CASCADE,
    language TEXT NOT NULL,
    body TEXT NOT NULL            -- index terms (stems, Hangul bigrams) joined by spaces
);
CREATE INDEX docs_by_turn ON docs (turn_pk);
CREATE VIRTUAL TABLE fts USING fts5(
    body, content='docs', content_rowid='pk', tokenize='unicode61 remove_diacritics 0', prefix='1'
);
CREATE TABLE vocab (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE lexicon (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    ko TEXT NOT NULL,             -- Hangul word or phrase, as written
    en TEXT NOT NULL,             -- its English counterpart, as written
    source TEXT NOT NULL,         -- 'gloss' (한글(English) in a translation) or 'alias' (a catalog)
    PRIMARY KEY (ko, en, episode_pk)
) WITHOUT ROWID;
CREATE TABLE launches (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (episode_pk, id)
);
"""
