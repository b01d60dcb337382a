-- evcat catalog schema, migration 9: parts and orientations of fingerprints (issue 15).
--
-- A still is now hashed whole, with its borders trimmed, as centred crops and
-- as one-side cuts (`part`), and the whole and trimmed hashes also under
-- PDQ's eight rotations and flips (`transform`); a video keyframe whole and
-- trimmed, each also mirrored. So one (file, frame) has several rows: the
-- unique key gains both columns, which SQLite can only do by rebuilding the
-- table. Rows keep their ids, so the band rows of `fingerprint_band` stay
-- valid. Old rows (version evcat-pdq-1) get the part their frame index
-- meant: 0 whole, 1 and 2 the centred crops keeping 90 and 81 % of a still.
--
-- Only identity hashes are indexed: the rotated and flipped ones are read
-- back for the query side (`similar F7` looks its variants up among the
-- others' plain hashes), so the band triggers now skip the others. Like the
-- rest of `fingerprint`, derived data: no custody event, not replayed.

DROP VIEW fingerprint_band_of;

CREATE TABLE fingerprint_v9 (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES file(id),
    method      TEXT NOT NULL,
    version     TEXT NOT NULL,
    frame_index INTEGER NOT NULL CHECK (frame_index >= 0),
    frame_ms    INTEGER,
    part        TEXT NOT NULL DEFAULT 'whole',         -- whole, trimmed, crop-90, cut-left-12, ...
    transform   TEXT NOT NULL DEFAULT 'identity',      -- identity, mirror, rotate-90, ...
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    quality     INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 100),
    created_at  TEXT NOT NULL,
    UNIQUE (file_id, method, version, frame_index, part, transform)
);

INSERT INTO fingerprint_v9(id, file_id, method, version, frame_index, frame_ms, part, transform, hash, quality, created_at)
SELECT id, file_id, method, version, frame_index, frame_ms,
       CASE WHEN frame_ms IS NULL AND frame_index = 1 THEN 'crop-90'
            WHEN frame_ms IS NULL AND frame_index = 2 THEN 'crop-81'
            ELSE 'whole' END,
       'identity', hash, quality, created_at
FROM fingerprint ORDER BY id;

DROP TABLE fingerprint;
ALTER TABLE fingerprint_v9 RENAME TO fingerprint;
CREATE INDEX fingerprint_file ON fingerprint(file_id);

CREATE VIEW fingerprint_band_of AS
SELECT f.id AS fingerprint_id,
       n.band AS band,
       (instr(x'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF', substr(f.hash, 2 * n.band + 1, 1)) - 1) * 256
     + (instr(x'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF', substr(f.hash, 2 * n.band + 2, 1)) - 1) AS value
FROM fingerprint f CROSS JOIN fingerprint_band_number n;

CREATE TRIGGER fingerprint_band_insert AFTER INSERT ON fingerprint WHEN new.transform = 'identity' BEGIN
    INSERT INTO fingerprint_band(band, value, fingerprint_id)
    SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = new.id;
END;

CREATE TRIGGER fingerprint_band_delete BEFORE DELETE ON fingerprint WHEN old.transform = 'identity' BEGIN
    DELETE FROM fingerprint_band WHERE (band, value, fingerprint_id) IN
        (SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = old.id);
END;

CREATE TRIGGER fingerprint_band_update_before BEFORE UPDATE OF id, hash, transform ON fingerprint
WHEN old.transform = 'identity' BEGIN
    DELETE FROM fingerprint_band WHERE (band, value, fingerprint_id) IN
        (SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = old.id);
END;

CREATE TRIGGER fingerprint_band_update_after AFTER UPDATE OF id, hash, transform ON fingerprint
WHEN new.transform = 'identity' BEGIN
    INSERT INTO fingerprint_band(band, value, fingerprint_id)
    SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = new.id;
END;
