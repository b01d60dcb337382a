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
//! 4. checkpoint: a published head `SEQ:HASH` is still in the log, unchanged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::files::Storage;
use crate::catalog::log::{self, LogEntry};
use crate::catalog::{actors, snapshot, Catalog, Table};
use crate::custody::{self, Head};
use crate::error::Result;
use crate::hash::Sha256;
use crate::store::{self, Fixity};

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
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { objects: true, log: true, records: true, head: None, record_result: true }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// fixity, stray-object, chain, record or checkpoint.
    pub check: &'static str,
    /// The record concerned: F12, E3, event #57, object <sha256>...
    pub record: String,
    /// Short machine-readable kind, e.g. hash-mismatch, missing, field-changed.
    pub kind: String,
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
    pub head: Option<String>,
    pub problems: Vec<Problem>,
    /// Sequence number of the `verified` event recorded for this audit.
    pub recorded_as: Option<u64>,
    /// Why no `verified` event was recorded, when one was wanted.
    pub not_recorded_because: Option<String>,
    pub seconds: f64,
}

fn problem(
    check: &'static str,
    record: String,
    kind: &str,
    expected: Option<String>,
    found: Option<String>,
    message: String,
) -> Problem {
    Problem { check, record, kind: kind.to_string(), expected, found, message }
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
                "fixity",
                id.clone(),
                "missing",
                Some(sha.clone()),
                None,
                format!("{id}: {place} is missing"),
            )),
            Fixity::Mismatch { found, .. } => problems.push(problem(
                "fixity",
                id.clone(),
                "hash-mismatch",
                Some(sha.clone()),
                Some(found.to_hex()),
                format!("{id}: {place} no longer matches its SHA-256 (expected {sha}, found {found})"),
            )),
            Fixity::Unreadable(e) => problems.push(problem(
                "fixity",
                id.clone(),
                "unreadable",
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
                "fixity",
                format!("article source {a}"),
                "article-source",
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
            let kind = if fixity == Fixity::Missing { "missing" } else { "derived-object" };
            problems.push(problem(
                "fixity",
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
                "stray-object",
                format!("object {hex}"),
                "unreferenced",
                None,
                Some(store.object_path(&sha).display().to_string()),
                format!("object {hex} is in the store but no record refers to it"),
            ));
        }
    }
    Ok(())
}

/// Verify the chain; returns the verified head. With `expected`, the same
/// pass also replays the log for the record check, so a long log is read
/// from SQLite once.
fn check_chain(
    cat: &Catalog,
    checked: &mut Checked,
    problems: &mut Vec<Problem>,
    mut expected: Option<&mut Expected>,
) -> Result<Option<(u64, [u8; 32])>> {
    let keys: HashMap<String, String> = actors::list(cat)?.into_iter().map(|a| (a.key_id, a.public_key)).collect();
    // Stream the log in batches: memory stays flat however long the log is,
    // and each batch's hashes and signatures are checked in parallel.
    const BATCH: usize = 8192;
    let mut verifier = custody::ChainVerifier::new(&keys);
    let mut batch = Vec::with_capacity(BATCH);
    let mut replay_problems = Vec::new();
    log::for_each_sealed(cat, |e| {
        if let Some(exp) = expected.as_deref_mut() {
            apply(exp, &e.event, &mut replay_problems);
        }
        batch.push(e);
        if batch.len() == BATCH {
            verifier.push_batch(&batch);
            batch.clear();
        }
        Ok(())
    })?;
    verifier.push_batch(&batch);
    let report = verifier.finish();
    checked.events = report.checked;
    for p in report.problems {
        problems.push(problem(
            "chain",
            format!("event #{}", p.seq),
            &p.kind.to_string(),
            p.expected,
            p.found,
            p.message,
        ));
    }
    problems.append(&mut replay_problems);
    Ok(report.head)
}

/// What the log says each row should be: `None` once removed.
type Expected = HashMap<(Table, i64), Option<Value>>;

fn apply(expected: &mut Expected, e: &custody::Event, problems: &mut Vec<Problem>) {
    let Some(table) = Table::from_subject_type(&e.subject_type) else { return };
    let Some(id) = e.subject_id else { return };
    let d = &e.details;
    if let Some(row) = d.get("row") {
        expected.insert((table, id), Some(row.clone()));
    } else if let Some(changes) = d.get("changes").and_then(Value::as_object) {
        match expected.get_mut(&(table, id)) {
            Some(Some(Value::Object(row))) => {
                for (field, ba) in changes {
                    row.insert(field.clone(), ba.get("after").cloned().unwrap_or(Value::Null));
                }
            }
            _ => problems.push(problem(
                "record",
                table.display_id(id),
                "change-before-creation",
                None,
                Some(format!("event #{}", e.seq)),
                format!("event #{} changes {} which the log never created", e.seq, table.display_id(id)),
            )),
        }
    } else if d.get("removed").and_then(Value::as_bool) == Some(true) {
        expected.insert((table, id), None);
    }
}

/// Compare the current rows with `expected`, the log's replay (see [`replay`]).
fn check_records(
    cat: &Catalog,
    mut expected: Expected,
    checked: &mut Checked,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    for table in Table::ALL {
        snapshot::for_each_snapshot(cat.conn(), table, |id, row| {
            checked.records += 1;
            let rid = table.display_id(id);
            match expected.remove(&(table, id)) {
                None => problems.push(problem(
                    "record",
                    rid.clone(),
                    "not-in-log",
                    None,
                    Some(row.to_string()),
                    format!("{rid} exists but no custody event created it"),
                )),
                Some(None) => problems.push(problem(
                    "record",
                    rid.clone(),
                    "removed-in-log",
                    None,
                    Some(row.to_string()),
                    format!("{rid} exists but the log says it was removed"),
                )),
                Some(Some(want)) if want != row => {
                    let (w, f) = (want.as_object(), row.as_object());
                    let mut fields: BTreeMap<String, (Value, Value)> = BTreeMap::new();
                    if let (Some(w), Some(f)) = (w, f) {
                        for (k, v) in w {
                            let fv = f.get(k).cloned().unwrap_or(Value::Null);
                            if &fv != v {
                                fields.insert(k.clone(), (v.clone(), fv));
                            }
                        }
                    }
                    for (field, (want, found)) in fields {
                        problems.push(problem(
                            "record",
                            rid.clone(),
                            "field-changed",
                            Some(want.to_string()),
                            Some(found.to_string()),
                            format!(
                                "{rid}.{field} was changed outside evcat: the log says {want}, the catalog has {found}"
                            ),
                        ));
                    }
                }
                Some(Some(_)) => {}
            }
            Ok(())
        })?;
    }
    let mut missing: Vec<(Table, i64)> = expected.into_iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k).collect();
    missing.sort_by_key(|(t, id)| (t.name(), *id));
    for (table, id) in missing {
        let rid = table.display_id(id);
        problems.push(problem(
            "record",
            rid.clone(),
            "row-missing",
            Some("row".into()),
            None,
            format!("{rid} is in the log but its row is gone from the catalog"),
        ));
    }
    Ok(())
}

/// What the log says each row should be, when the chain check did not
/// already replay it.
fn replay(cat: &Catalog, problems: &mut Vec<Problem>) -> Result<Expected> {
    let mut expected: Expected = HashMap::new();
    log::for_each_sealed(cat, |e| {
        apply(&mut expected, &e.event, problems);
        Ok(())
    })?;
    Ok(expected)
}

fn check_checkpoint(cat: &Catalog, head: &Head, problems: &mut Vec<Problem>) -> Result<()> {
    let given = format!("{}:{}", head.seq, hex::encode(head.hash));
    let at = log::entries(cat, head.seq.saturating_sub(1), Some(1))?;
    match at.first() {
        Some(e) if e.seq == head.seq => {
            if e.hash != hex::encode(head.hash) {
                problems.push(problem(
                    "checkpoint",
                    format!("event #{}", head.seq),
                    "rewritten",
                    Some(given),
                    Some(format!("{}:{}", e.seq, e.hash)),
                    format!(
                        "the log was rewritten at or before event #{}: its hash differs from the published head",
                        head.seq
                    ),
                ));
            }
        }
        _ => problems.push(problem(
            "checkpoint",
            format!("event #{}", head.seq),
            "truncated",
            Some(given),
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
        let mut expected = opts.records.then(Expected::new);
        if opts.log {
            head = check_chain(self, &mut checked, &mut problems, expected.as_mut())?;
        } else if let Some(exp) = expected.as_mut() {
            *exp = replay(self, &mut problems)?;
        }
        if let Some(exp) = expected {
            check_records(self, exp, &mut checked, &mut problems)?;
        }
        if let Some(h) = &opts.head {
            check_checkpoint(self, h, &mut problems)?;
        }
        if head.is_none() {
            head = log::head(self)?.and_then(|(s, h)| {
                let mut b = [0u8; 32];
                hex::decode_to_slice(&h, &mut b).ok().map(|_| (s, b))
            });
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
                "head": head.map(|(s, h)| format!("{s}:{}", hex::encode(h))),
                "checkpoint": opts.head.as_ref().map(|h| h.to_string()),
            });
            match self.write(|w| w.append(crate::catalog::Subject::Catalog, "verified", None, details)) {
                Ok(seq) => recorded_as = Some(seq),
                Err(e) => not_recorded_because = Some(e.to_string()),
            }
        }
        Ok(AuditReport {
            clean,
            checked,
            head: head.map(|(s, h)| format!("{s}:{}", hex::encode(h))),
            problems,
            recorded_as,
            not_recorded_because,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The last recorded `verified` event, if any (for `trace` and reports).
    pub fn last_audit(&self) -> Result<Option<LogEntry>> {
        log::last_with_action(self, "verified")
    }
}
