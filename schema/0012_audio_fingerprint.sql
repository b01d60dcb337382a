-- evcat catalog schema, migration 12: audio fingerprints (issue 15).
--
-- Videos and audio files get one Chromaprint fingerprint of their first
-- audio stream: a 32-bit word per ~124 ms of sound, stored whole as
-- little-endian bytes (matching needs the whole sequence, to align two
-- recordings and find the matched time ranges).
--
-- `audio_fingerprint_key` is the candidate index: each distinct word of a
-- file once. Two recordings of the same sound share many words exactly
-- (a re-encode nearly all, an excerpt cut at any sample or a noisy copy
-- more than a third), unrelated sound almost none, so `similar` looks up a
-- query's distinct words here and only reads the fingerprints of files that
-- share several (ARCHITECTURE.md "Fingerprints"). Written with the
-- fingerprint in one transaction by `catalog/fingerprints.rs`, its one
-- writer (SQL cannot split a blob into distinct words). Derived data: no custody event, not replayed;
-- each analysis batch's `media-analyzed` event attests the words' SHA-256.

CREATE TABLE audio_fingerprint (
    file_id     INTEGER PRIMARY KEY REFERENCES file(id),
    method      TEXT NOT NULL,                        -- 'chromaprint'
    version     TEXT NOT NULL,                        -- e.g. 'evcat-chromaprint-1'
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    words       BLOB NOT NULL CHECK (length(words) % 4 = 0 AND length(words) > 0),
    created_at  TEXT NOT NULL
);

CREATE TABLE audio_fingerprint_key (
    key     INTEGER NOT NULL,                         -- a fingerprint word, 0 .. 2^32 - 1
    file_id INTEGER NOT NULL REFERENCES audio_fingerprint(file_id),
    PRIMARY KEY (key, file_id)
) WITHOUT ROWID;
CREATE INDEX audio_fingerprint_key_file ON audio_fingerprint_key(file_id);
