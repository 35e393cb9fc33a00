"""The index's SQL schema. Bump SCHEMA_VERSION whenever this text changes meaning."""

from __future__ import annotations

SCHEMA_VERSION = 8  # 8: episodes.published (date filters and newest-first listing)
SLOTS = 8  # languages per index: a document's pk is its turn's pk * 8 + its language's slot (SQL says >> 3, & 7)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE episodes (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    turn_count INTEGER NOT NULL DEFAULT 0,
    languages TEXT NOT NULL DEFAULT '[]',  -- JSON: languages with turn text, most turns first
    published TEXT,               -- YYYY-MM-DD (the date of Episode.published), NULL when undated
    data TEXT NOT NULL            -- Episode JSON without turns and launches
);
CREATE INDEX episodes_by_published ON episodes (published) WHERE published IS NOT NULL;
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
    pk INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: postings of deleted turns stay until a merge
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_seconds INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    weight REAL NOT NULL,         -- length prior: short turns rank lower on an equal match
    answers INTEGER,              -- the pk of the host's question this guest turn answers (corpus.exchanges), else NULL
    data TEXT NOT NULL,           -- Turn JSON (last: the columns before it are read without it)
    UNIQUE (episode_pk, ordinal)
);
CREATE INDEX turns_by_speaker ON turns (speaker, episode_pk, ordinal);
CREATE INDEX turns_by_question ON turns (answers) WHERE answers IS NOT NULL;
-- One document per turn and language. Its pk is turn_pk * 8 + the language's slot, so the
-- FTS rowid alone names the turn (rowid >> 3) and the language (rowid & 7): counting the
-- matching turns and filtering by language need no join, and one episode's documents
-- are one rowid range (its turns are inserted together).
CREATE TABLE languages (code TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE CHECK (slot BETWEEN 0 AND 7));
CREATE TABLE docs (
    pk INTEGER PRIMARY KEY,
    turn_pk INTEGER NOT NULL,     -- = pk >> 3; deleted with its episode's turns (by pk range)
    language TEXT NOT NULL,
    body TEXT NOT NULL            -- index terms (stems, Hangul bigrams) joined by spaces
);
CREATE VIRTUAL TABLE fts USING fts5(
    body, content='docs', content_rowid='pk', tokenize='unicode61 remove_diacritics 0', prefix='1'
);
CREATE TABLE vocab (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
-- Per episode and language: its documents and their index terms. BM25 weighs a document's length
-- against its episode's average in its language (corpus.bm25).
CREATE TABLE doc_lengths (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    slot INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    PRIMARY KEY (episode_pk, slot)
) WITHOUT ROWID;
-- The same documents as arrays, term by term, for ranking every match at once (corpus.index.postings).
CREATE TABLE postings (
    term TEXT NOT NULL,
    segment INTEGER NOT NULL,
    count INTEGER NOT NULL,
    wide INTEGER NOT NULL,        -- 1: freqs, lens and positions are uint32, else uint16
    docs BLOB NOT NULL,
    freqs BLOB NOT NULL,
    lens BLOB NOT NULL,
    positions BLOB NOT NULL,      -- last: a query that needs no positions never reads them
    PRIMARY KEY (term, segment)
);
CREATE TABLE postings_segments (segment INTEGER PRIMARY KEY, postings INTEGER NOT NULL);
CREATE TABLE turn_arrays (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE lexicon (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    ko TEXT NOT NULL,             -- Hangul word or phrase, as written
    en TEXT NOT NULL,             -- its English counterpart, as written
    source TEXT NOT NULL,         -- 'gloss' (한글(English) in a translation) or 'alias' (a catalog)
    PRIMARY KEY (ko, en, episode_pk)
) WITHOUT ROWID;
CREATE INDEX lexicon_by_episode ON lexicon (episode_pk);
-- Search by meaning (corpus.index.vectors): each turn's passages by content hash, and the vectors
-- of those hashes (float32 scale + int8 components). Passages without a vector yet are allowed.
CREATE TABLE passages (
    turn_pk INTEGER NOT NULL,
    slot INTEGER NOT NULL,        -- the language slot of the text embedded
    part INTEGER NOT NULL,        -- 0: the whole turn; 1, 2, ...: windows of a long turn
    hash BLOB NOT NULL,
    PRIMARY KEY (turn_pk, slot, part)
) WITHOUT ROWID;
CREATE INDEX passages_by_hash ON passages (hash);
CREATE TABLE embeddings (hash BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE launches (
    episode_pk INTEGER NOT NULL REFERENCES episodes(pk) ON DELETE CASCADE,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (episode_pk, id)
);
"""
