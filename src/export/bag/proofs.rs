//! The Merkle proofs a bag carries, `data/custody/proofs.json`: one
//! inclusion proof per exported event against the bag's head
//! `SEQ:CHAIN_HASH:TREE_ROOT`, so a receiver proves every event it got is in
//! the log that head commits to, and the events it did not get are a
//! statement of what is withheld, not a hole in the proof. A bag holding the
//! whole log (`--all`) carries no paths: the receiver recomputes the root.
//! Consistency proofs tie earlier heads the bag names (timestamped or
//! witnessed ones) to its head.
//!
//! Bags written before the tree have no proofs.json and a `SEQ:HASH` head;
//! they are checked as before (chain links between consecutive events only).

use serde::{Deserialize, Serialize};

use super::verify::BagLog;
use super::BagCheck;
use crate::catalog::{tree as stored_tree, Catalog};
use crate::custody::proof::hex_list;
use crate::custody::tree::{self, Hash};
use crate::custody::{Head, SealedEvent};
use crate::error::Result;
use crate::timestamp::record::{check_event, Stamped};
use crate::timestamp::TsaTrust;

/// Version of proofs.json.
pub(super) const PROOFS_FORMAT: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct BagProofs {
    pub evcat_proofs: u64,
    /// The bag's head, with its tree root (equal to head.txt).
    pub head: Head,
    /// The bag holds events `1..=head.seq`, all of them.
    pub complete: bool,
    #[serde(default)]
    pub inclusion: Vec<EventPath>,
    #[serde(default)]
    pub consistency: Vec<HeadPath>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct EventPath {
    pub seq: u64,
    #[serde(with = "hex_list")]
    pub path: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct HeadPath {
    pub from: Head,
    #[serde(with = "hex_list")]
    pub path: Vec<Hash>,
}

impl Catalog {
    /// The proofs of `events` (ending with the head's own event) against
    /// `head`, and of each of `earlier` heads being extended by it.
    pub(super) fn bag_proofs(&self, head: &Head, events: &[SealedEvent], earlier: &[Head]) -> Result<BagProofs> {
        let complete = events.len() as u64 == head.seq && events.iter().zip(1..).all(|(e, n)| e.seq() == n);
        let inclusion = if complete {
            Vec::new()
        } else {
            let seqs: Vec<u64> = events.iter().map(SealedEvent::seq).collect();
            let paths = stored_tree::inclusion_paths(self, head.seq, &seqs)?;
            seqs.into_iter().zip(paths).map(|(seq, path)| EventPath { seq, path }).collect()
        };
        let mut consistency = Vec::new();
        for h in earlier.iter().filter(|h| h.seq < head.seq) {
            let p = stored_tree::consistency_proof(self, h, head)?;
            consistency.push(HeadPath { from: p.first, path: p.path });
        }
        Ok(BagProofs { evcat_proofs: PROOFS_FORMAT, head: *head, complete, inclusion, consistency })
    }
}

/// `#a..#b` ranges of the events `1..=last` the bag does not hold.
fn withheld(events: &[SealedEvent], last: u64) -> (u64, Vec<String>) {
    let mut ranges = Vec::new();
    let mut count = 0;
    let mut next = 1;
    let range = |a: u64, b: u64| if a == b { format!("#{a}") } else { format!("#{a}..#{b}") };
    for seq in events.iter().map(SealedEvent::seq).chain(std::iter::once(last + 1)) {
        if seq > next {
            ranges.push(range(next, seq - 1));
            count += seq - next;
        }
        next = next.max(seq + 1);
    }
    (count, ranges)
}

/// Check the proofs against the bag's events and head; every problem goes
/// into `check`. `head`: what head.txt says; `proofs`: proofs.json, if the
/// bag has one.
pub(super) fn check_proofs(proofs: Option<&BagProofs>, events: &[SealedEvent], head: &Head, check: &mut BagCheck) {
    let Some(last) = events.last() else { return };
    (check.withheld_events, check.withheld) = withheld(events, last.seq());
    let Some(proofs) = proofs else {
        if head.root.is_some() {
            check.problems.push(format!("head.txt names a tree root but the bag carries no {}", super::PROOFS));
        }
        return;
    };
    let bad = |check: &mut BagCheck, p: String| check.problems.push(format!("{}: {p}", super::PROOFS));
    if proofs.evcat_proofs != PROOFS_FORMAT {
        return bad(check, format!("format {} is not {PROOFS_FORMAT}; upgrade evcat", proofs.evcat_proofs));
    }
    let Some(root) = proofs.head.root else { return bad(check, "its head has no tree root".into()) };
    if proofs.head != *head || !proofs.head.agrees_with(&last.head()) {
        return bad(check, format!("its head {} is not the bag's head {head} (event {})", proofs.head, last.head()));
    }
    if proofs.complete {
        if events.len() as u64 != head.seq || events.iter().zip(1..).any(|(e, n)| e.seq() != n) {
            return bad(check, "it says the bag holds the whole log, but events are missing".into());
        }
        let leaves: Vec<Hash> = events.iter().map(|e| tree::leaf_hash(&e.hash)).collect();
        let computed = tree::root_of(&leaves);
        if computed != root {
            return bad(
                check,
                format!("the tree of the bag's events has root {}, not the head's", hex::encode(computed)),
            );
        }
        check.events_proven = events.len() as u64;
    } else {
        let paths: std::collections::HashMap<u64, &Vec<Hash>> =
            proofs.inclusion.iter().map(|p| (p.seq, &p.path)).collect();
        for e in events {
            let Some(path) = paths.get(&e.seq()) else {
                bad(check, format!("event #{} has no inclusion proof", e.seq()));
                continue;
            };
            match tree::verify_inclusion(e.seq() - 1, head.seq, &tree::leaf_hash(&e.hash), path, &root) {
                Ok(()) => check.events_proven += 1,
                Err(why) => check.problems.push(format!(
                    "event #{} is not in the log of the bag's head {head}: {why} (the event, or the proof, was changed)",
                    e.seq()
                )),
            }
        }
    }
    for c in &proofs.consistency {
        let result = match c.from.root {
            Some(r1) => tree::verify_consistency(c.from.seq, head.seq, &r1, &root, &c.path),
            None => Err(tree::ProofError::OutOfRange("it has no tree root".into())),
        };
        match result {
            Ok(()) => check.consistent_heads.push(c.from.to_string()),
            Err(why) => bad(check, format!("the bag's head does not extend head {}: {why}", c.from)),
        }
    }
}

/// The time-stamps the bag carries: each must stamp the bag's head or an
/// earlier head its head provably extends (`consistent_heads`), or the
/// recorded SHA-256 of a file in the bag; then the token or proof itself.
pub(super) fn check_stamps(log: &BagLog, trust: Option<&TsaTrust>, check: &mut BagCheck) {
    let bag_head: Option<Head> = check.head.as_deref().and_then(|h| h.parse().ok());
    for e in log.events.iter().filter(|e| e.event.action() == crate::custody::Action::Timestamped) {
        let subject = e.event.subject();
        let known = |s: &Stamped| -> std::result::Result<String, String> {
            match s {
                Stamped::Head(h) => {
                    if bag_head.is_some_and(|b| b == *h) || check.consistent_heads.contains(&h.to_string()) {
                        Ok(format!("head {h}"))
                    } else {
                        Err(format!("head {h} is not proven to be a head of the bag's log"))
                    }
                }
                Stamped::File(sha) => {
                    let rec = log.metadata.files.iter().find(|f| Some(f.id) == subject);
                    match rec.and_then(|f| f.text("sha256")) {
                        Some(have) if have == hex::encode(sha) => {
                            Ok(format!("{} (sha256 {have})", rec.map(|f| f.id.to_string()).unwrap_or_default()))
                        }
                        Some(have) => {
                            Err(format!("it stamps sha256 {}, the bag's record has {have}", hex::encode(sha)))
                        }
                        None => Err("it stamps a file the bag does not describe".into()),
                    }
                }
            }
        };
        let c = check_event(&e.event, trust, known);
        for p in &c.problems {
            check.problems.push(format!("time-stamp {}: {}", p.kind, p.message));
        }
        check.timestamps.push(c);
    }
}
