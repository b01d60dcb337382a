-- The Merkle tree over the custody log (ARCHITECTURE.md "Merkle tree"):
-- the root of every complete, aligned subtree of 2^8 = 256 or more leaves,
-- `level` = log2(leaves), `idx` = its position at that level (leaves
-- idx * 2^level .. (idx + 1) * 2^level - 1, leaf i being event seq i + 1).
-- Derived data, like fingerprint_band: no custody events; the write path
-- appends the nodes each transaction completes (catalog/tree.rs), proofs read
-- them instead of a million event hashes, and audit recomputes the whole tree
-- from the events and compares. About one row per 128 events.
CREATE TABLE custody_tree (
    level INTEGER NOT NULL CHECK (level >= 8),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
