-- evcat catalog schema, migration 1: evidence, files, actors, the custody log, search.
-- Applied in one transaction; PRAGMA user_version is set to 1 by the migrator.
-- Timestamps are RFC 3339 UTC text. Hashes are lowercase hex text.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Who acts. The private key lives outside the database (keys/ or a user path).
CREATE TABLE actor (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT,
    public_key TEXT NOT NULL,
    key_id     TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- A piece of evidence as it exists in the world: a post, a stream, a photo.
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('video','image','audio','document','web','other')),
    title         TEXT,
    description   TEXT,
    platform      TEXT,
    source_url    TEXT,
    platform_id   TEXT,
    author_handle TEXT,
    posted_at     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('referenced','acquired','unavailable')),
    -- JSON object: provenance field name -> where its value came from (user, file, import, detected).
    sources       TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL
);
CREATE INDEX evidence_status   ON evidence(status);
CREATE INDEX evidence_platform ON evidence(platform);
CREATE INDEX evidence_kind     ON evidence(kind);
CREATE INDEX evidence_url      ON evidence(source_url);

-- Bytes we hold for an evidence item.
CREATE TABLE file (
    id             INTEGER PRIMARY KEY,
    evidence_id    INTEGER NOT NULL REFERENCES evidence(id),
    sha256         TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    size           INTEGER NOT NULL CHECK (size >= 0),
    media_type     TEXT NOT NULL,
    storage        TEXT NOT NULL CHECK (storage IN ('object','in-place')),
    original_name  TEXT,
    original_path  TEXT,
    -- Facts read from the file itself (source: file).
    width          INTEGER,
    height         INTEGER,
    duration_ms    INTEGER,
    video_codec    TEXT,
    audio_codec    TEXT,
    captured_at    TEXT,
    make           TEXT,
    model          TEXT,
    gps_lat        REAL,
    gps_lon        REAL,
    orientation    INTEGER,
    software       TEXT,
    -- Facts asserted by a person (source: user or import).
    acquired_at    TEXT NOT NULL,
    acquired_by    TEXT,
    method         TEXT,
    tool           TEXT,
    note           TEXT,
    derived_from   INTEGER REFERENCES file(id),
    sources        TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL
);
CREATE INDEX file_evidence ON file(evidence_id);
CREATE INDEX file_derived  ON file(derived_from);
CREATE INDEX file_media    ON file(media_type);

-- The append-only custody log. See ARCHITECTURE.md "Custody encoding" for how
-- hash and signature are computed; the triggers below only stop accidents, the
-- hash chain is what makes tampering detectable.
CREATE TABLE custody_event (
    seq          INTEGER PRIMARY KEY,
    subject_type TEXT NOT NULL,
    subject_id   INTEGER,
    action       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL,
    host         TEXT NOT NULL,
    location     TEXT,
    reason       TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    key_id       TEXT NOT NULL,
    signature    TEXT NOT NULL
);
CREATE INDEX custody_subject ON custody_event(subject_type, subject_id, seq);

CREATE TRIGGER custody_event_no_update BEFORE UPDATE ON custody_event
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
CREATE TRIGGER custody_event_no_delete BEFORE DELETE ON custody_event
BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;

-- Full-text search over every record with text. rowid = id * 8 + type code
-- (1 evidence, 2 file, 3 article, 4 claim) so triggers update by rowid.
CREATE VIRTUAL TABLE search_index USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER evidence_fts_ins AFTER INSERT ON evidence BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 1,
        concat_ws(' ', new.title, new.description, new.platform, new.source_url, new.author_handle, new.platform_id));
END;
CREATE TRIGGER evidence_fts_upd AFTER UPDATE ON evidence BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 1,
        concat_ws(' ', new.title, new.description, new.platform, new.source_url, new.author_handle, new.platform_id));
END;
CREATE TRIGGER evidence_fts_del AFTER DELETE ON evidence BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
END;
CREATE TRIGGER file_fts_ins AFTER INSERT ON file BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 2,
        concat_ws(' ', new.original_name, new.note, new.make, new.model, new.acquired_by, new.method, new.tool));
END;
CREATE TRIGGER file_fts_upd AFTER UPDATE ON file BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 2,
        concat_ws(' ', new.original_name, new.note, new.make, new.model, new.acquired_by, new.method, new.tool));
END;
CREATE TRIGGER file_fts_del AFTER DELETE ON file BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
END;
