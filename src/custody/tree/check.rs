//! The audit of the tree: recompute it from the events in one streaming pass
//! (in parallel, 256 leaves at a time) and compare it with the nodes the
//! catalog stores, and with the root of a published head.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{leaf_hash, root_of, Frontier, Hash, STORED_LEVEL};
use crate::custody::SealedEvent;

/// What is wrong with the stored tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeProblemKind {
    /// A stored node differs from the one the events give.
    NodeMismatch,
    /// A node is missing among the ones the table covers.
    NodeMissing,
    /// A node the log is not long enough to have.
    NodeBeyondLog,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreeProblem {
    pub level: u32,
    pub index: u64,
    pub kind: TreeProblemKind,
    pub expected: Option<Hash>,
    pub found: Option<Hash>,
}

impl TreeProblem {
    /// Events the node covers, as `#a..#b`.
    pub fn events(&self) -> String {
        let first = (self.index << self.level) + 1;
        format!("#{first}..#{}", first + (1u64 << self.level) - 1)
    }
}

/// Streaming tree check; feed events in stored order.
pub struct TreeChecker {
    frontier: Frontier,
    stored: HashMap<(u32, u64), Hash>,
    /// Leaves the stored level-8 blocks cover (the table is a prefix).
    covered: u64,
    seen: usize,
    checkpoint: Option<u64>,
    checkpoint_root: Option<Hash>,
    problems: Vec<TreeProblem>,
}

impl TreeChecker {
    /// `stored`: the catalog's nodes; `checkpoint`: a tree size whose root
    /// to record on the way (a published head's seq).
    pub fn new(stored: HashMap<(u32, u64), Hash>, checkpoint: Option<u64>) -> TreeChecker {
        let blocks = stored.keys().filter(|(l, _)| *l == STORED_LEVEL).map(|(_, i)| i + 1).max().unwrap_or(0);
        TreeChecker {
            frontier: Frontier::new(),
            stored,
            covered: blocks << STORED_LEVEL,
            seen: 0,
            checkpoint: checkpoint.filter(|&c| c > 0),
            checkpoint_root: None,
            problems: Vec::new(),
        }
    }

    pub fn push_batch(&mut self, events: &[SealedEvent]) {
        let mut rest = events;
        if let Some(c) = self.checkpoint {
            let size = self.frontier.size();
            if c > size && c <= size + rest.len() as u64 {
                let (a, b) = rest.split_at((c - size) as usize);
                self.push_hashes(a);
                self.checkpoint_root = Some(self.frontier.root());
                rest = b;
            }
        }
        self.push_hashes(rest);
    }

    fn push_hashes(&mut self, events: &[SealedEvent]) {
        let block = 1usize << STORED_LEVEL;
        let mut i = 0;
        while i < events.len() && !self.frontier.size().is_multiple_of(block as u64) {
            self.push_one(0, leaf_hash(&events[i].hash));
            i += 1;
        }
        let full = (events.len() - i) / block * block;
        let roots: Vec<Hash> = events[i..i + full]
            .par_chunks(block)
            .map(|c| root_of(&c.iter().map(|e| leaf_hash(&e.hash)).collect::<Vec<_>>()))
            .collect();
        for r in roots {
            self.push_one(STORED_LEVEL, r);
        }
        for e in &events[i + full..] {
            self.push_one(0, leaf_hash(&e.hash));
        }
    }

    fn push_one(&mut self, level: u32, hash: Hash) {
        let (stored, covered, seen, problems) = (&self.stored, self.covered, &mut self.seen, &mut self.problems);
        self.frontier.push(level, hash, |l, index, h| {
            if l < STORED_LEVEL {
                return;
            }
            match stored.get(&(l, index)) {
                Some(s) => {
                    *seen += 1;
                    if s != h {
                        problems.push(TreeProblem {
                            level: l,
                            index,
                            kind: TreeProblemKind::NodeMismatch,
                            expected: Some(*h),
                            found: Some(*s),
                        });
                    }
                }
                None if (index + 1) << l <= covered => problems.push(TreeProblem {
                    level: l,
                    index,
                    kind: TreeProblemKind::NodeMissing,
                    expected: Some(*h),
                    found: None,
                }),
                None => {}
            }
        });
    }

    /// Size and root of the recomputed tree, the checkpoint's root if it was
    /// reached, and every problem found.
    pub fn finish(mut self) -> TreeReport {
        if self.seen < self.stored.len() {
            let size = self.frontier.size();
            let mut beyond: Vec<_> = self.stored.iter().filter(|((l, i), _)| (i + 1) << l > size).collect();
            beyond.sort_by_key(|((l, i), _)| (*l, *i));
            for ((l, i), h) in beyond {
                self.problems.push(TreeProblem {
                    level: *l,
                    index: *i,
                    kind: TreeProblemKind::NodeBeyondLog,
                    expected: None,
                    found: Some(*h),
                });
            }
        }
        TreeReport {
            size: self.frontier.size(),
            root: self.frontier.root(),
            checkpoint_root: self.checkpoint_root,
            problems: self.problems,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreeReport {
    pub size: u64,
    pub root: Hash,
    pub checkpoint_root: Option<Hash>,
    pub problems: Vec<TreeProblem>,
}

#[cfg(test)]
mod tests {
    use super::super::super::testutil::chain;
    use super::super::super::Keypair;
    use super::*;

    fn stored_of(events: &[SealedEvent]) -> HashMap<(u32, u64), Hash> {
        let mut out = HashMap::new();
        let mut f = Frontier::new();
        for e in events {
            f.push(0, leaf_hash(&e.hash), |l, i, h| {
                if l >= STORED_LEVEL {
                    out.insert((l, i), *h);
                }
            });
        }
        out
    }

    #[test]
    fn streaming_check_equals_the_tree_and_names_bad_nodes() {
        let events = chain(&Keypair::from_seed([5; 32]), 1300);
        let leaves: Vec<Hash> = events.iter().map(|e| leaf_hash(&e.hash)).collect();
        let stored = stored_of(&events);
        for batch in [1, 100, 256, 8192] {
            let mut c = TreeChecker::new(stored.clone(), Some(700));
            for b in events.chunks(batch) {
                c.push_batch(b);
            }
            let r = c.finish();
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            assert_eq!((r.size, r.root), (1300, root_of(&leaves)));
            assert_eq!(r.checkpoint_root, Some(root_of(&leaves[..700])), "batch {batch}");
        }
        let mut bad = stored.clone();
        bad.insert((9, 0), [1; 32]);
        bad.remove(&(8, 1));
        bad.insert((8, 40), [2; 32]);
        let mut c = TreeChecker::new(bad, None);
        c.push_batch(&events);
        let kinds: Vec<_> = c.finish().problems.iter().map(|p| (p.level, p.index, p.kind)).collect();
        assert!(kinds.contains(&(9, 0, TreeProblemKind::NodeMismatch)), "{kinds:?}");
        assert!(kinds.contains(&(8, 1, TreeProblemKind::NodeMissing)), "{kinds:?}");
        assert!(kinds.contains(&(8, 40, TreeProblemKind::NodeBeyondLog)), "{kinds:?}");
        // A table that simply stops early (not yet extended) is fine.
        let mut short = stored;
        short.retain(|(l, i), _| (i + 1) << l <= 512);
        let mut c = TreeChecker::new(short, None);
        c.push_batch(&events);
        assert!(c.finish().problems.is_empty());
    }
}
