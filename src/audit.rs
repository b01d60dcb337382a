//! `evcat audit`: verify that the catalog is what its log says it is.
//!
//! Four independent checks, each reporting every problem it finds with the
//! record concerned, what was expected and what was found:
//! 1. fixity: every stored object and in-place file re-hashes to its recorded
//!    SHA-256 (in parallel); objects nobody references are reported as strays;
//! 2. chain: contiguous sequence numbers, every event hash recomputes, every
//!    `prev_hash` links, every signature verifies against its actor's key;
//! 3. records: replaying the log's row snapshots and before/after changes
//!    yields exactly the current rows (a row edited behind evcat's back, or a
//!    row with no history, is named);
//! 4. checkpoint: a published head `SEQ:HASH[:ROOT]` is still in the log,
//!    unchanged, and the tree of its first `SEQ` events still has that root.
//!
//! The chain pass also recomputes the Merkle tree over the log
//! ([`custody::tree::check`]) and compares it with the stored nodes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::files::Storage;
use crate::catalog::keys;
use crate::catalog::{actors, snapshot, Catalog, RecordKind};
use crate::catalog::{log, tree};
use crate::custody::authority::{KeyHistory, KeyProblemKind};
use crate::custody::tree::check::{TreeChecker, TreeProblemKind};
use crate::custody::{self, Action, Head, Replay, ReplayProblemKind, RowCheck, SealedEvent};
use crate::error::Result;
use crate::hash::Sha256;
use crate::ids::Subject;
use crate::store::{self, Fixity};
use crate::timestamp::record::{StampCheck, StampProblemKind};
use crate::timestamp::TsaTrust;

/// Which checks to run.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub objects: bool,
    pub log: bool,
    pub records: bool,
    /// A previously published head that must still be a prefix of the log.
    pub head: Option<Head>,
    /// Append a `verified` event when the audit is clean.
    pub record_result: bool,
    /// Certificates trusted to issue time-stamps; without them tokens are
    /// checked for imprint and signature, not for their chain.
    pub tsa_trust: Option<TsaTrust>,
    /// Actors who must have co-signed `head` (`--require-witness`).
    pub require_witness: Vec<String>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            objects: true,
            log: true,
            records: true,
            head: None,
            record_result: true,
            tsa_trust: None,
            require_witness: Vec::new(),
        }
    }
}

/// The four checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    Fixity,
    StrayObject,
    Chain,
    /// The stored Merkle tree nodes against the tree the events give.
    Tree,
    /// Each event signed by a key valid at its position (rotation, revocation).
    Key,
    Record,
    Checkpoint,
    /// Time-stamps (RFC 3161 tokens, OpenTimestamps proofs) of heads and files.
    Timestamp,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Fixity => "fixity",
            Check::StrayObject => "stray-object",
            Check::Chain => "chain",
            Check::Tree => "tree",
            Check::Key => "key",
            Check::Record => "record",
            Check::Checkpoint => "checkpoint",
            Check::Timestamp => "timestamp",
        })
    }
}

/// What is wrong, within a [`Check`]. Serialised as the short kebab-case
/// names `evcat audit --json` has always printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Fixity: the object or in-place file is gone.
    Missing,
    /// Fixity: the bytes no longer hash to the recorded SHA-256.
    HashMismatch,
    /// Fixity: the bytes cannot be read (or the recorded hash is malformed).
    Unreadable,
    /// Fixity: an article's source object failed its check.
    ArticleSource,
    /// Fixity: a thumbnail, poster or contact sheet failed its check.
    DerivedObject,
    /// Stray object: in the store, referenced by nothing.
    Unreferenced,
    /// Chain: sequence, link, hash or signature.
    Chain(custody::ProblemKind),
    /// Tree: a stored node differs, is missing, or lies beyond the log.
    Tree(TreeProblemKind),
    /// Record: an event the replay cannot apply.
    Replay(ReplayProblemKind),
    /// Record: a row no event created.
    NotInLog,
    /// Record: a row the log says was removed.
    RemovedInLog,
    /// Record: a field differs from the log's replay.
    FieldChanged,
    /// Record: the log holds a row the catalog lacks.
    RowMissing,
    /// Checkpoint: the event at the published head has another hash.
    Rewritten,
    /// Checkpoint: the published head is no longer in the log.
    Truncated,
    /// Checkpoint: the tree of the head's events has another root.
    RootMismatch,
    /// Timestamp: a token or proof that does not prove what it says.
    Stamp(StampProblemKind),
    /// Key: a key used where it may not sign, or a bad rotation/revocation.
    Key(KeyProblemKind),
    /// Checkpoint: a required witness did not co-sign the head.
    WitnessMissing,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Chain(k) => k.fmt(f),
            ProblemKind::Replay(k) => k.fmt(f),
            ProblemKind::Stamp(k) => k.fmt(f),
            ProblemKind::Key(k) => k.fmt(f),
            ProblemKind::Tree(k) => f.write_str(match k {
                TreeProblemKind::NodeMismatch => "node-mismatch",
                TreeProblemKind::NodeMissing => "node-missing",
                TreeProblemKind::NodeBeyondLog => "node-beyond-log",
            }),
            other => f.write_str(match other {
                ProblemKind::Missing => "missing",
                ProblemKind::HashMismatch => "hash-mismatch",
                ProblemKind::Unreadable => "unreadable",
                ProblemKind::ArticleSource => "article-source",
                ProblemKind::DerivedObject => "derived-object",
                ProblemKind::Unreferenced => "unreferenced",
                ProblemKind::NotInLog => "not-in-log",
                ProblemKind::RemovedInLog => "removed-in-log",
                ProblemKind::FieldChanged => "field-changed",
                ProblemKind::RowMissing => "row-missing",
                ProblemKind::Rewritten => "rewritten",
                ProblemKind::RootMismatch => "root-mismatch",
                ProblemKind::WitnessMissing => "witness-missing",
                _ => "truncated",
            }),
        }
    }
}

impl Serialize for ProblemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub check: Check,
    /// The record concerned: F12, E3, event #57, object <sha256>...
    pub record: String,
    pub kind: ProblemKind,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Checked {
    pub objects: u64,
    pub in_place_files: u64,
    pub bytes: u64,
    pub events: u64,
    pub records: u64,
    /// Thumbnails, posters and contact sheets (derived objects) checked.
    pub derived_objects: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub clean: bool,
    pub checked: Checked,
    /// The head of the log as verified (`SEQ:HASH`).
    pub head: Option<Head>,
    pub problems: Vec<Problem>,
    /// Sequence number of the `verified` event recorded for this audit.
    pub recorded_as: Option<u64>,
    /// Why no `verified` event was recorded, when one was wanted.
    pub not_recorded_because: Option<String>,
    /// Every time-stamp in the log, checked (attested times included).
    pub timestamps: Vec<StampCheck>,
    pub seconds: f64,
}

fn problem(
    check: Check,
    record: String,
    kind: ProblemKind,
    expected: Option<String>,
    found: Option<String>,
    message: String,
) -> Problem {
    Problem { check, record, kind, expected, found, message }
}

/// Re-hash every object and in-place file, in parallel.
fn check_fixity(cat: &Catalog, checked: &mut Checked, problems: &mut Vec<Problem>) -> Result<()> {
    let targets = cat.fixity_targets()?;
    let mut known: HashSet<String> =
        targets.iter().filter(|t| t.storage == Storage::Object).map(|t| t.sha256.clone()).collect();
    let store = cat.store();
    let hash_all = || -> Vec<(String, String, Storage, Option<String>, Fixity, u64)> {
        targets
            .into_par_iter()
            .map(|t| {
                let (id, sha_hex, storage, path) = (t.file, t.sha256, t.storage, t.path);
                let (fixity, size) = match sha_hex.parse::<Sha256>() {
                    Err(e) => (Fixity::Unreadable(format!("recorded hash is malformed: {e}")), 0),
                    Ok(sha) => {
                        let p = match storage {
                            Storage::Object => store.object_path(&sha),
                            Storage::InPlace => path.clone().map(Into::into).unwrap_or_default(),
                        };
                        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                        (store::check_path(&p, &sha), size)
                    }
                };
                (id.to_string(), sha_hex, storage, path, fixity, size)
            })
            .collect()
    };
    let results = match store.io_thread_pool(2) {
        Some(pool) => pool.install(hash_all),
        None => hash_all(),
    };
    for (id, sha, storage, path, fixity, size) in results {
        match storage {
            Storage::Object => checked.objects += 1,
            Storage::InPlace => checked.in_place_files += 1,
        }
        checked.bytes += size;
        let place = match storage {
            Storage::Object => "object".to_string(),
            Storage::InPlace => format!("in-place file {}", path.as_deref().unwrap_or("?")),
        };
        match fixity {
            Fixity::Ok => {}
            Fixity::Missing => problems.push(problem(
                Check::Fixity,
                id.clone(),
                ProblemKind::Missing,
                Some(sha.clone()),
                None,
                format!("{id}: {place} is missing"),
            )),
            Fixity::Mismatch { found, .. } => problems.push(problem(
                Check::Fixity,
                id.clone(),
                ProblemKind::HashMismatch,
                Some(sha.clone()),
                Some(found.to_hex()),
                format!("{id}: {place} no longer matches its SHA-256 (expected {sha}, found {found})"),
            )),
            Fixity::Unreadable(e) => problems.push(problem(
                Check::Fixity,
                id.clone(),
                ProblemKind::Unreadable,
                Some(sha.clone()),
                None,
                format!("{id}: {place} cannot be read: {e}"),
            )),
        }
    }
    // Objects referenced by articles (their source files) are known too.
    for a in cat.article_sources()? {
        let Ok(sha) = a.parse::<Sha256>() else { continue };
        checked.objects += 1;
        match store.check(&sha) {
            Fixity::Ok => {}
            other => problems.push(problem(
                Check::Fixity,
                format!("article source {a}"),
                ProblemKind::ArticleSource,
                Some(a.clone()),
                Some(format!("{other:?}")),
                format!("article source object {a} failed its check: {other:?}"),
            )),
        }
        known.insert(a);
    }
    // Derived objects (thumbnails, posters, contact sheets) are referenced too.
    for d in cat.derived_objects()? {
        if !known.insert(d.sha256.clone()) {
            continue;
        }
        checked.derived_objects += 1;
        let fixity = match d.sha256.parse::<Sha256>() {
            Ok(sha) => store.check(&sha),
            Err(e) => Fixity::Unreadable(format!("recorded hash is malformed: {e}")),
        };
        if fixity != Fixity::Ok {
            let kind = if fixity == Fixity::Missing { ProblemKind::Missing } else { ProblemKind::DerivedObject };
            problems.push(problem(
                Check::Fixity,
                format!("{} {} {}", d.file, d.kind, d.sha256),
                kind,
                Some(d.sha256.clone()),
                Some(format!("{fixity:?}")),
                format!("{} of {} (object {}) failed its check: {fixity:?}", d.kind, d.file, d.sha256),
            ));
        }
    }
    for sha in store.list()? {
        let hex = sha.to_hex();
        if !known.contains(&hex) {
            problems.push(problem(
                Check::StrayObject,
                format!("object {hex}"),
                ProblemKind::Unreferenced,
                None,
                Some(store.object_path(&sha).display().to_string()),
                format!("object {hex} is in the store but no record refers to it"),
            ));
        }
    }
    Ok(())
}

/// Verify the chain and recompute the tree; returns the verified head (with
/// the recomputed root) and the root of the tree at `checkpoint`. With
/// `replay`, the same pass also replays the log for the record check, so a
/// long log is read from SQLite once.
fn check_chain(
    cat: &Catalog,
    checked: &mut Checked,
    problems: &mut Vec<Problem>,
    mut replay: Option<&mut Replay>,
    checkpoint: Option<u64>,
) -> Result<(Option<Head>, Option<[u8; 32]>)> {
    // Every key the log ever introduced (rotated keys signed earlier events),
    // and the actor rows' keys (a row edited behind evcat's back is the
    // record check's business).
    let history = keys::key_history(cat)?;
    let mut keys: HashMap<String, String> = actors::list(cat)?.into_iter().map(|a| (a.key_id, a.public_key)).collect();
    keys.extend(history.public_keys());
    // Stream the log in batches: memory stays flat however long the log is,
    // and each batch's hashes and signatures are checked in parallel.
    const BATCH: usize = 8192;
    let mut verifier = custody::ChainVerifier::new(&keys);
    let mut tree_check = TreeChecker::new(tree::stored_nodes(cat)?, checkpoint);
    let mut batch: Vec<SealedEvent> = Vec::with_capacity(BATCH);
    log::for_each(cat, |e| {
        if let Some(r) = replay.as_deref_mut() {
            r.apply(&e.event);
        }
        batch.push(e);
        if batch.len() == BATCH {
            verifier.push_batch(&batch);
            tree_check.push_batch(&batch);
            key_problems(&history, &batch, problems);
            batch.clear();
        }
        Ok(())
    })?;
    verifier.push_batch(&batch);
    tree_check.push_batch(&batch);
    key_problems(&history, &batch, problems);
    for p in history.problems() {
        problems.push(key_problem(p));
    }
    let report = verifier.finish();
    let tree_report = tree_check.finish();
    for p in &tree_report.problems {
        let record = format!("tree node {}/{} (events {})", p.level, p.index, p.events());
        let message = match p.kind {
            TreeProblemKind::NodeMismatch => {
                format!("{record}: the stored node differs from the tree the events give")
            }
            TreeProblemKind::NodeMissing => format!("{record}: missing from custody_tree"),
            TreeProblemKind::NodeBeyondLog => format!("{record}: stored, but the log is not that long"),
        };
        problems.push(problem(
            Check::Tree,
            record,
            ProblemKind::Tree(p.kind),
            p.expected.map(hex::encode),
            p.found.map(hex::encode),
            message,
        ));
    }
    checked.events = report.checked;
    for p in report.problems {
        problems.push(problem(
            Check::Chain,
            format!("event #{}", p.seq),
            ProblemKind::Chain(p.kind),
            p.expected,
            p.found,
            p.message,
        ));
    }
    Ok((report.head.map(|h| h.with_root(tree_report.root)), tree_report.checkpoint_root))
}

fn key_problem(p: &crate::custody::authority::KeyProblem) -> Problem {
    problem(Check::Key, format!("event #{}", p.seq), ProblemKind::Key(p.kind), None, None, p.message.clone())
}

/// Events signed by a key that may not sign at their position.
fn key_problems(history: &KeyHistory, events: &[SealedEvent], problems: &mut Vec<Problem>) {
    problems.extend(events.iter().filter_map(|e| history.check(e)).map(|p| key_problem(&p)));
}

/// Compare the current rows with the log's replay; every difference is named.
fn check_records(cat: &Catalog, mut replay: Replay, checked: &mut Checked, problems: &mut Vec<Problem>) -> Result<()> {
    for p in replay.take_problems() {
        let found = Some(format!("event #{}", p.seq));
        problems.push(problem(
            Check::Record,
            p.subject.to_string(),
            ProblemKind::Replay(p.kind),
            None,
            found,
            p.message,
        ));
    }
    let mut seen: HashSet<(RecordKind, i64)> = HashSet::new();
    for kind in RecordKind::ALL {
        snapshot::for_each_snapshot(cat.conn(), kind, |id, row| {
            checked.records += 1;
            seen.insert((kind, id));
            let rid = kind.display_id(id);
            let row_text = || Some(serde_json::Value::Object(row.clone()).to_string());
            match replay.check(kind, id, &row) {
                RowCheck::Matches => {}
                RowCheck::NotInLog => problems.push(problem(
                    Check::Record,
                    rid.clone(),
                    ProblemKind::NotInLog,
                    None,
                    row_text(),
                    format!("{rid} exists but no custody event created it"),
                )),
                RowCheck::RemovedInLog => problems.push(problem(
                    Check::Record,
                    rid.clone(),
                    ProblemKind::RemovedInLog,
                    None,
                    row_text(),
                    format!("{rid} exists but the log says it was removed"),
                )),
                RowCheck::Differs(fields) => {
                    for (field, (want, found)) in fields {
                        problems.push(problem(
                            Check::Record,
                            rid.clone(),
                            ProblemKind::FieldChanged,
                            Some(want.to_string()),
                            Some(found.to_string()),
                            format!(
                                "{rid}.{field} was changed outside evcat: the log says {want}, the catalog has {found}"
                            ),
                        ));
                    }
                }
            }
            Ok(())
        })?;
    }
    for (kind, id) in replay.live() {
        if seen.contains(&(kind, id)) {
            continue;
        }
        let rid = kind.display_id(id);
        problems.push(problem(
            Check::Record,
            rid.clone(),
            ProblemKind::RowMissing,
            Some("row".into()),
            None,
            format!("{rid} is in the log but its row is gone from the catalog"),
        ));
    }
    Ok(())
}

/// `root`: the root the audit recomputed for the tree of `head.seq` events
/// (read from the stored tree when the chain was not checked).
fn check_checkpoint(cat: &Catalog, head: &Head, root: Option<[u8; 32]>, problems: &mut Vec<Problem>) -> Result<()> {
    let record = format!("event #{}", head.seq);
    match log::event(cat, head.seq)? {
        Some(e) if e.hash == head.hash && head.root.is_some() => {
            let root = match root {
                Some(r) => r,
                None => tree::root_at(cat, head.seq)?,
            };
            if Some(root) != head.root {
                problems.push(problem(
                    Check::Checkpoint,
                    record,
                    ProblemKind::RootMismatch,
                    Some(head.to_string()),
                    Some(e.head().with_root(root).to_string()),
                    format!(
                        "the tree of events #1..#{} has another root than the published head: an event at or before #{} was changed",
                        head.seq, head.seq
                    ),
                ));
            }
        }
        Some(e) if e.hash != head.hash => problems.push(problem(
            Check::Checkpoint,
            record,
            ProblemKind::Rewritten,
            Some(head.to_string()),
            Some(e.head().to_string()),
            format!("the log was rewritten at or before event #{}: its hash differs from the published head", head.seq),
        )),
        Some(_) => {}
        None => problems.push(problem(
            Check::Checkpoint,
            record,
            ProblemKind::Truncated,
            Some(head.to_string()),
            None,
            format!("the published head #{} is no longer in the log (truncated or renumbered)", head.seq),
        )),
    }
    Ok(())
}

impl Catalog {
    /// Run the requested checks. Never stops at the first problem.
    pub fn audit(&mut self, opts: &AuditOptions) -> Result<AuditReport> {
        let started = Instant::now();
        let mut checked = Checked::default();
        let mut problems = Vec::new();
        if opts.objects {
            check_fixity(self, &mut checked, &mut problems)?;
        }
        let mut head = None;
        let mut replay = opts.records.then(Replay::new);
        let mut checkpoint_root = None;
        if opts.log {
            (head, checkpoint_root) =
                check_chain(self, &mut checked, &mut problems, replay.as_mut(), opts.head.map(|h| h.seq))?;
        } else if let Some(r) = replay.as_mut() {
            log::for_each(self, |e| {
                r.apply(&e.event);
                Ok(())
            })?;
        }
        if let Some(r) = replay {
            check_records(self, r, &mut checked, &mut problems)?;
        }
        if let Some(h) = &opts.head {
            check_checkpoint(self, h, checkpoint_root, &mut problems)?;
            for w in &opts.require_witness {
                if let Err(why) = self.check_witness(h, w)? {
                    let record = format!("event #{}", h.seq);
                    problems.push(problem(Check::Checkpoint, record, ProblemKind::WitnessMissing, None, None, why));
                }
            }
        }
        let timestamps = if opts.log { self.check_timestamps(opts.tsa_trust.as_ref())? } else { Vec::new() };
        for t in &timestamps {
            for p in &t.problems {
                let record = format!("event #{}", t.seq);
                problems.push(problem(
                    Check::Timestamp,
                    record,
                    ProblemKind::Stamp(p.kind),
                    None,
                    None,
                    p.message.clone(),
                ));
            }
        }
        if head.is_none() {
            head = log::head(self)?;
        }
        let clean = problems.is_empty();
        let full = opts.objects && opts.log && opts.records;
        let mut recorded_as = None;
        let mut not_recorded_because = None;
        if clean && opts.record_result {
            let details = serde_json::json!({
                "scope": if full { "full" } else if opts.objects { "objects" } else { "log" },
                "objects": checked.objects,
                "in_place_files": checked.in_place_files,
                "bytes": checked.bytes,
                "events": checked.events,
                "records": checked.records,
                "head": head.map(|h| h.to_string()),
                "checkpoint": opts.head.as_ref().map(|h| h.to_string()),
            });
            match self.write(|w| w.append(Subject::Catalog, Action::Verified, None, details)) {
                Ok(seq) => recorded_as = Some(seq),
                Err(e) => not_recorded_because = Some(e.to_string()),
            }
        }
        Ok(AuditReport {
            clean,
            checked,
            head,
            problems,
            recorded_as,
            not_recorded_because,
            timestamps,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The last recorded `verified` event, if any (for `trace` and reports).
    pub fn last_audit(&self) -> Result<Option<SealedEvent>> {
        log::last_with_action(self, &Action::Verified)
    }
}
