-- evcat catalog schema, migration 6: a persisted near-duplicate index (issue 5).
--
-- Multi-index hashing kept in SQLite: each 256-bit PDQ hash is cut into 16
-- bands of 16 bits (band b = bytes 2b and 2b+1, big-endian), and
-- `fingerprint_band` maps (band, value) to the fingerprints holding it. Two
-- hashes within distance r agree to within floor(r/16) bits in at least one
-- band (pigeonhole), so `evcat similar` and the near-duplicate check of `add`
-- look up a few hundred (band, value) keys instead of loading every hash.
--
-- The rows are derived from `fingerprint.hash` by triggers, in the statement
-- (and so the transaction) that writes the fingerprint: whoever writes
-- fingerprints (the library, a bag import, sqlite3 by hand) keeps the index
-- whole, and this migration backfills the fingerprints already held. Like
-- `fingerprint`, it is derived data: no custody event, not replayed by audit.

-- The 16 band numbers, as a table because triggers may not use CTEs.
CREATE TABLE fingerprint_band_number (band INTEGER PRIMARY KEY CHECK (band BETWEEN 0 AND 15));
INSERT INTO fingerprint_band_number(band) VALUES
    (0),
    (1),
    (2),
    (3),
    (4),
    (5),
    (6),
    (7),
    (8),
    (9),
    (10),
    (11),
    (12),
    (13),
    (14),
    (15);

-- Each fingerprint's 16 band values. SQLite has no byte-to-integer function;
-- instr() over a blob holding the bytes 0x00..0xFF in order returns a byte's
-- value + 1.
CREATE VIEW fingerprint_band_of AS
SELECT f.id AS fingerprint_id,
       n.band AS band,
       (instr(x'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF', substr(f.hash, 2 * n.band + 1, 1)) - 1) * 256
     + (instr(x'000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF', substr(f.hash, 2 * n.band + 2, 1)) - 1) AS value
FROM fingerprint f CROSS JOIN fingerprint_band_number n;

CREATE TABLE fingerprint_band (
    band           INTEGER NOT NULL,
    value          INTEGER NOT NULL,
    fingerprint_id INTEGER NOT NULL,
    PRIMARY KEY (band, value, fingerprint_id)
) WITHOUT ROWID;

-- Backfill, in key order (sequential B-tree appends).
INSERT INTO fingerprint_band(band, value, fingerprint_id)
SELECT band, value, fingerprint_id FROM fingerprint_band_of ORDER BY band, value, fingerprint_id;

CREATE TRIGGER fingerprint_band_insert AFTER INSERT ON fingerprint BEGIN
    INSERT INTO fingerprint_band(band, value, fingerprint_id)
    SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = new.id;
END;

-- BEFORE, so the row (and thus its band values) is still there to find the keys.
CREATE TRIGGER fingerprint_band_delete BEFORE DELETE ON fingerprint BEGIN
    DELETE FROM fingerprint_band WHERE (band, value, fingerprint_id) IN
        (SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = old.id);
END;

CREATE TRIGGER fingerprint_band_update_before BEFORE UPDATE OF id, hash ON fingerprint BEGIN
    DELETE FROM fingerprint_band WHERE (band, value, fingerprint_id) IN
        (SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = old.id);
END;

CREATE TRIGGER fingerprint_band_update_after AFTER UPDATE OF id, hash ON fingerprint BEGIN
    INSERT INTO fingerprint_band(band, value, fingerprint_id)
    SELECT band, value, fingerprint_id FROM fingerprint_band_of WHERE fingerprint_id = new.id;
END;
