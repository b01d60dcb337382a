//! Storage of the Merkle tree over the log (`custody_tree`, schema 0009):
//! the roots of complete, aligned subtrees of 256 or more events, appended by
//! the write path ([`extend`]) and read by proofs and heads. The tree itself
//! (hashing, proofs, their verification) is [`crate::custody::tree`]; this
//! module only feeds it event hashes and stored nodes.

use rusqlite::{Connection, OptionalExtension};

use super::Catalog;
use crate::custody::tree::{self, Hash, NodeSource, STORED_LEVEL};
use crate::custody::{ConsistencyProof, Head, InclusionProof, SealedEvent};
use crate::error::{Error, Result};

/// The catalog's log as a [`NodeSource`]: leaf `i` is event `seq = i + 1`.
/// It keeps the last 256-leaf block it read: the in-block siblings of one
/// proof (up to 8 ranges) all come from the same block, and so do the
/// proofs of neighbouring events a bag carries.
pub(crate) struct LogNodes<'c> {
    conn: &'c Connection,
    block: Option<(u64, Vec<Hash>)>,
}

impl<'c> LogNodes<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        LogNodes { conn, block: None }
    }

    fn read(&self, start: u64, end: u64) -> Result<Vec<Hash>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, hash FROM custody_event WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")?;
        let mut rows = stmt.query([start as i64, end as i64])?;
        let mut out = Vec::with_capacity((end - start) as usize);
        while let Some(r) = rows.next()? {
            let (seq, hex_hash): (i64, String) = (r.get(0)?, r.get(1)?);
            let want = start + out.len() as u64 + 1;
            let mut h = [0u8; 32];
            if seq as u64 != want || hex::decode_to_slice(&hex_hash, &mut h).is_err() {
                return Err(Error::Corrupt(format!(
                    "custody event #{want} is missing or has a malformed hash; run `evcat audit`"
                )));
            }
            out.push(tree::leaf_hash(&h));
        }
        Ok(out)
    }
}

impl NodeSource for LogNodes<'_> {
    type Error = Error;

    fn leaf_hashes(&mut self, start: u64, end: u64) -> Result<Vec<Hash>> {
        let size = 1u64 << STORED_LEVEL;
        let b = start / size;
        let out = if end > start && (end - 1) / size == b {
            if self.block.as_ref().is_none_or(|(cached, _)| *cached != b) {
                // The whole block, or as much of it as the log holds.
                self.block = Some((b, self.read(b * size, (b + 1) * size)?));
            }
            let cached = self.block.as_ref().map(|(_, l)| l.as_slice()).unwrap_or_default();
            let (lo, hi) = ((start - b * size) as usize, (end - b * size) as usize);
            cached.get(lo..hi.min(cached.len())).unwrap_or_default().to_vec()
        } else {
            self.read(start, end)?
        };
        if out.len() as u64 != end - start {
            return Err(Error::Corrupt(format!(
                "custody event #{} is missing; run `evcat audit`",
                start + out.len() as u64 + 1
            )));
        }
        Ok(out)
    }

    fn stored_node(&mut self, level: u32, index: u64) -> Result<Option<Hash>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM custody_tree WHERE level = ?1 AND idx = ?2")?
            .query_row([level as i64, index as i64], |r| r.get(0))
            .optional()?;
        Ok(blob.and_then(|b| b.try_into().ok()))
    }
}

fn insert_node(conn: &Connection, level: u32, index: u64, hash: &Hash) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO custody_tree(level, idx, hash) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![level as i64, index as i64, &hash[..]])?;
    Ok(())
}

/// Store the nodes completed by a log of `size` events: every new block of
/// 256 events and the larger subtrees it completes. Called inside each write
/// transaction after its events are inserted, so the table always covers the
/// committed log; on a catalog older than the table the first write fills
/// it in. A log whose events are missing or malformed (tampered) is left
/// where its blocks stop being readable: audit names those events.
pub(crate) fn extend(conn: &Connection, size: u64) -> Result<()> {
    let block = 1u64 << STORED_LEVEL;
    let next: i64 = conn.query_row(
        "SELECT coalesce(max(idx) + 1, 0) FROM custody_tree WHERE level = ?1",
        [STORED_LEVEL as i64],
        |r| r.get(0),
    )?;
    let mut src = LogNodes::new(conn);
    let mut b = next as u64;
    while (b + 1) * block <= size {
        let leaves = match src.leaf_hashes(b * block, (b + 1) * block) {
            Ok(l) => l,
            Err(Error::Corrupt(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut node = tree::root_of(&leaves);
        insert_node(conn, STORED_LEVEL, b, &node)?;
        let (mut level, mut index) = (STORED_LEVEL, b);
        while index & 1 == 1 {
            let Some(left) = src.stored_node(level, index - 1)? else { break };
            node = tree::node_hash(&left, &node);
            level += 1;
            index >>= 1;
            insert_node(conn, level, index, &node)?;
        }
        b += 1;
    }
    Ok(())
}

/// Every stored node, `(level, index) -> hash` (audit compares them).
pub fn stored_nodes(cat: &Catalog) -> Result<std::collections::HashMap<(u32, u64), Hash>> {
    let mut stmt = cat.conn().prepare("SELECT level, idx, hash FROM custody_tree")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let (level, idx, hash) = row?;
        let mut h = [0u8; 32];
        if hash.len() == 32 {
            h.copy_from_slice(&hash);
        }
        out.insert((level as u32, idx as u64), h);
    }
    Ok(out)
}

/// Root of the tree of the first `size` events.
pub fn root_at(cat: &Catalog, size: u64) -> Result<Hash> {
    tree::subtree_root(&mut LogNodes::new(cat.conn()), 0, size)
}

/// The head of the log at event `seq`, with its tree root.
pub fn head_at(cat: &Catalog, seq: u64) -> Result<Option<Head>> {
    let Some(e) = super::log::event(cat, seq)? else { return Ok(None) };
    Ok(Some(e.head().with_root(root_at(cat, seq)?)))
}

/// Resolve a head the user gives against this log: it must name an event the
/// log holds with that chain hash (and that root, when it carries one).
/// Returns the head with its root. `None` means the current head.
pub fn resolve_head(cat: &Catalog, given: Option<&Head>) -> Result<Head> {
    let Some(given) = given else {
        return super::log::head(cat)?.ok_or_else(|| Error::Conflict("the custody log is empty".into()));
    };
    let ours = head_at(cat, given.seq)?
        .ok_or_else(|| Error::not_found(format!("head #{} (the log ends before it)", given.seq)))?;
    if !ours.agrees_with(given) {
        return Err(Error::Conflict(format!(
            "head {given} is not a head of this log: event #{} is {ours}; run `evcat audit --head {given}`",
            given.seq
        )));
    }
    Ok(ours)
}

/// Proof that event `seq` is in the tree of `head` (default: the current head).
pub fn inclusion_proof(cat: &Catalog, seq: u64, head: Option<&Head>) -> Result<InclusionProof> {
    let head = resolve_head(cat, head)?;
    if seq == 0 || seq > head.seq {
        return Err(Error::invalid(
            "event",
            seq.to_string(),
            format!("the head {head} holds events #1..#{}", head.seq),
        ));
    }
    let event: SealedEvent =
        super::log::event(cat, seq)?.ok_or_else(|| Error::not_found(format!("custody event #{seq}")))?;
    let path = tree::inclusion_path(&mut LogNodes::new(cat.conn()), seq - 1, head.seq)?;
    Ok(InclusionProof { head, seq, event_hash: event.hash, path, event: Some(Box::new(event)) })
}

/// Audit paths of events `seqs` in the tree of the first `size` events
/// (one source, so neighbouring events share their block reads).
pub(crate) fn inclusion_paths(cat: &Catalog, size: u64, seqs: &[u64]) -> Result<Vec<Vec<Hash>>> {
    let mut src = LogNodes::new(cat.conn());
    seqs.iter().map(|&seq| tree::inclusion_path(&mut src, seq - 1, size)).collect()
}

/// Proof that head `second` extends head `first`.
pub fn consistency_proof(cat: &Catalog, first: &Head, second: &Head) -> Result<ConsistencyProof> {
    let (first, second) = (resolve_head(cat, Some(first))?, resolve_head(cat, Some(second))?);
    if first.seq > second.seq {
        return Err(Error::invalid(
            "heads",
            format!("{first} {second}"),
            "the first head must not be later than the second",
        ));
    }
    let path = tree::consistency_path(&mut LogNodes::new(cat.conn()), first.seq, second.seq)?;
    Ok(ConsistencyProof { first, second, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_stores_the_nodes_a_frontier_completes_and_proofs_match_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::init(&dir.path().join("c"), "ana", None).unwrap();
        // 3 blocks of 256 and a ragged edge, in transactions that end mid-block.
        for chunk in [300u64, 212, 300, 77] {
            cat.write(|w| {
                for i in 0..chunk {
                    w.append(
                        crate::ids::Subject::Catalog,
                        crate::custody::Action::Note,
                        None,
                        serde_json::json!({ "i": i }),
                    )?;
                }
                Ok(())
            })
            .unwrap();
        }
        let events = super::super::log::entries(&cat, 0, None).unwrap();
        let mut leaves: Vec<Hash> = events.iter().map(|e| tree::leaf_hash(&e.hash)).collect();
        let n = leaves.len() as u64;
        assert_eq!(n, 2 + 889, "created, actor-added and the notes");
        let stored = stored_nodes(&cat).unwrap();
        let mut expect = std::collections::HashMap::new();
        let mut f = tree::Frontier::new();
        for l in &leaves {
            f.push(0, *l, |level, index, h| {
                if level >= STORED_LEVEL {
                    expect.insert((level, index), *h);
                }
            });
        }
        assert_eq!(stored, expect);
        assert_eq!(stored.len(), 4, "blocks 0..3 and the 512-leaf node");
        assert_eq!(root_at(&cat, n).unwrap(), tree::root_of(&leaves));
        let head = super::super::log::head(&cat).unwrap().unwrap();
        assert_eq!(head.root, Some(tree::root_of(&leaves)));
        let p = inclusion_proof(&cat, 600, None).unwrap();
        assert_eq!(p.path, tree::inclusion_path(&mut leaves[..], 599, n).unwrap());
        p.verify().unwrap();
        let old = head_at(&cat, 300).unwrap().unwrap();
        let c = consistency_proof(&cat, &old, &head).unwrap();
        c.verify().unwrap();
        // A head this log does not hold is refused, naming it.
        let forged = old.with_root([7; 32]);
        let err = inclusion_proof(&cat, 3, Some(&forged)).unwrap_err().to_string();
        assert!(err.contains("is not a head of this log"), "{err}");
    }
}
