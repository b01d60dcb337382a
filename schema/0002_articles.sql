-- evcat catalog schema, migration 2: articles, claims and claim-evidence links.

CREATE TABLE article (
    id            INTEGER PRIMARY KEY,
    title         TEXT,
    publisher     TEXT,
    url           TEXT,
    author        TEXT,
    published_at  TEXT,
    format        TEXT NOT NULL CHECK (format IN ('plain','seed','markdown','html')),
    body          TEXT NOT NULL,
    body_sha256   TEXT NOT NULL UNIQUE,
    -- The imported file's bytes, kept verbatim in the object store.
    source_sha256 TEXT,
    source_name   TEXT,
    sources       TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL
);

CREATE TABLE claim (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER REFERENCES article(id),
    text       TEXT NOT NULL,
    -- UTF-8 byte offsets into article.body: body[start_byte..end_byte] == text.
    start_byte INTEGER,
    end_byte   INTEGER,
    status     TEXT NOT NULL CHECK (status IN ('detected','confirmed','rejected','asserted')),
    origin     TEXT NOT NULL CHECK (origin IN ('detected','manual')),
    created_at TEXT NOT NULL,
    CHECK ((article_id IS NULL) = (start_byte IS NULL) AND (start_byte IS NULL) = (end_byte IS NULL)),
    CHECK (start_byte IS NULL OR (start_byte >= 0 AND end_byte > start_byte))
);
CREATE INDEX claim_article ON claim(article_id, start_byte);
CREATE INDEX claim_status  ON claim(status);

CREATE TABLE link (
    id          INTEGER PRIMARY KEY,
    claim_id    INTEGER NOT NULL REFERENCES claim(id),
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    relation    TEXT NOT NULL CHECK (relation IN ('depicts','supports','contradicts','mentions')),
    start_ms    INTEGER,
    end_ms      INTEGER,
    region_x    INTEGER,
    region_y    INTEGER,
    region_w    INTEGER,
    region_h    INTEGER,
    note        TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK ((start_ms IS NULL) = (end_ms IS NULL)),
    CHECK (start_ms IS NULL OR (start_ms >= 0 AND end_ms > start_ms))
);
CREATE INDEX link_claim    ON link(claim_id);
CREATE INDEX link_evidence ON link(evidence_id);

CREATE TRIGGER article_fts_ins AFTER INSERT ON article BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 3,
        concat_ws(' ', new.title, new.publisher, new.author, new.url, new.body));
END;
CREATE TRIGGER article_fts_upd AFTER UPDATE ON article BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 3;
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 3,
        concat_ws(' ', new.title, new.publisher, new.author, new.url, new.body));
END;
CREATE TRIGGER claim_fts_ins AFTER INSERT ON claim BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 4, new.text);
END;
CREATE TRIGGER claim_fts_upd AFTER UPDATE ON claim BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
    INSERT INTO search_index(rowid, body) VALUES (new.id * 8 + 4, new.text);
END;
CREATE TRIGGER claim_fts_del AFTER DELETE ON claim BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
END;
