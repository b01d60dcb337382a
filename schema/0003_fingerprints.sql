-- evcat catalog schema, migration 3: media intelligence (issue 5).
-- Perceptual fingerprints, analysis status and transcode hints, derived
-- objects (thumbnails, posters, contact sheets) and machine-found similarity.
-- All of it is recomputable from the files' bytes; each analysis batch is
-- attested by one `media-analyzed` custody event (subject `catalog`) that
-- names the fingerprints' digest and the derived objects' SHA-256. A person's
-- confirmation of a derivation goes to the logged `file.derived_from`.

-- One perceptual hash of a still image (frame_index 0, frame_ms NULL) or of
-- a video keyframe.
CREATE TABLE fingerprint (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES file(id),
    method      TEXT NOT NULL,                        -- 'pdq'
    version     TEXT NOT NULL,                        -- e.g. 'evcat-pdq-1'
    frame_index INTEGER NOT NULL CHECK (frame_index >= 0),
    frame_ms    INTEGER,
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    quality     INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 100),
    created_at  TEXT NOT NULL,
    UNIQUE (file_id, method, version, frame_index)
);
CREATE INDEX fingerprint_file ON fingerprint(file_id);

-- What analysing a file gave: status, a note for people, platform hints.
CREATE TABLE media_analysis (
    file_id     INTEGER PRIMARY KEY REFERENCES file(id),
    status      TEXT NOT NULL CHECK (status IN ('ok','no-ffmpeg','refused','failed')),
    note        TEXT,
    method      TEXT NOT NULL,
    version     TEXT NOT NULL,
    frames      INTEGER NOT NULL DEFAULT 0,
    hints       TEXT NOT NULL DEFAULT '[]',           -- JSON array of {code, message}
    analyzed_at TEXT NOT NULL
);
CREATE INDEX media_analysis_status ON media_analysis(status);

-- Objects in the store made from a file: covered by audit's fixity check.
CREATE TABLE derived_object (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES file(id),
    kind        TEXT NOT NULL CHECK (kind IN ('thumbnail','poster','contact-sheet')),
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    media_type  TEXT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    size        INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (file_id, kind)
);
CREATE INDEX derived_object_sha ON derived_object(sha256);

-- `similar-to`: file_id was found to look like other_id when it was analysed.
CREATE TABLE similarity (
    file_id        INTEGER NOT NULL REFERENCES file(id),
    other_id       INTEGER NOT NULL REFERENCES file(id),
    distance       INTEGER NOT NULL,
    frames_matched INTEGER NOT NULL,
    frames_total   INTEGER NOT NULL,
    looks_like     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (file_id, other_id)
) WITHOUT ROWID;
CREATE INDEX similarity_other ON similarity(other_id);
