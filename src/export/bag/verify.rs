//! What a receiver can check from a bag alone (`evcat import bag` checks it
//! all before changing anything). Two layers: the BagIt bag on disk
//! (manifests, paths, Payload-Oxum), then its custody contents, checked in
//! memory by [`check_log`] so that every case can be unit-tested on a bag
//! built in the test.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::proofs::{check_proofs, check_stamps, BagProofs};
use super::{payload_digest, BagCheck, Entry, Metadata, ACTORS, EVENTS, HEAD, MANIFEST, METADATA, PROOFS, TAGMANIFEST};
use crate::custody::authority::KeyHistory;
use crate::custody::{self, Action, ChainVerifier, Head, ProblemKind, Replay, RowCheck, RowState, SealedEvent};
use crate::error::{Error, Result};
use crate::hash::{hash_reader, Sha256};
use crate::ids::{RecordKind, Subject};
use crate::timestamp::TsaTrust;

/// Tag and metadata files larger than this are refused on import.
const MAX_TAG_BYTES: u64 = 256 << 20;

/// A bag's custody contents, parsed and ready to check.
#[derive(Debug, Clone)]
pub(super) struct BagLog {
    pub metadata: Metadata,
    /// The actors of `actors.json`, as JSON objects.
    pub actors: Vec<Value>,
    pub events: Vec<SealedEvent>,
    /// What `head.txt` says.
    pub head: String,
    /// `proofs.json`; `None` in bags from before the tree.
    pub proofs: Option<BagProofs>,
}

/// A verified bag, ready to merge.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    pub root: PathBuf,
    pub log: BagLog,
}

/// Check a bag completely; `Ok` with problems listed, `Err` only when the
/// directory cannot be examined at all.
pub fn verify_bag(dir: &Path) -> Result<BagCheck> {
    verify(dir, None).map(|(c, _)| c)
}

/// [`verify_bag`], with the chains of its RFC 3161 tokens checked against `trust`.
pub fn verify_bag_trusting(dir: &Path, trust: Option<&TsaTrust>) -> Result<BagCheck> {
    verify(dir, trust).map(|(c, _)| c)
}

pub(super) fn verify(dir: &Path, trust: Option<&TsaTrust>) -> Result<(BagCheck, Option<Verified>)> {
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("open bag", dir, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid("bag", dir.display().to_string(), "not a directory"));
    }
    let root = fs::canonicalize(dir).map_err(|e| Error::io("resolve", dir, e))?;
    let mut v = Structure { root: root.clone(), check: BagCheck { bag: dir.to_path_buf(), ..Default::default() } };
    let (listed, info) = v.check_structure();
    if !v.check.problems.is_empty() {
        return Ok((v.check, None));
    }
    // The custody contents, now that their bytes are known to be the bag's.
    let mut check = v.check;
    let log = match load_log(&root, &listed) {
        Ok(log) => log,
        Err(p) => {
            check.problems.push(p);
            return Ok((check, None));
        }
    };
    check_log(&log, &info, &listed, trust, &mut check);
    check.valid = check.problems.is_empty();
    let verified = check.valid.then_some(Verified { root, log });
    Ok((check, verified))
}

// ---------------------------------------------------------------------------
// The bag on disk

/// Split a manifest line into (hash, decoded path).
fn manifest_line(line: &str) -> Option<(&str, String)> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (hash, rest) = line.split_once([' ', '\t'])?;
    let path = rest.trim_start_matches([' ', '\t']);
    let decoded = path.replace("%0A", "\n").replace("%0a", "\n").replace("%0D", "\r").replace("%0d", "\r");
    Some((hash, decoded.replace("%25", "%")))
}

/// Why a manifest path is unsafe, if it is.
fn unsafe_path(rel: &str) -> Option<&'static str> {
    if rel.is_empty() {
        return Some("empty path");
    }
    if rel.starts_with('/') || Path::new(rel).is_absolute() {
        return Some("absolute path");
    }
    if rel.contains('\\') || rel.contains('\0') {
        return Some("backslash or NUL in path");
    }
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(_) => {}
            Component::ParentDir => return Some("`..` in path"),
            _ => return Some("`.`, root or prefix component in path"),
        }
    }
    if rel.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Some("empty, `.` or `..` path component");
    }
    None
}

fn read_small(path: &Path) -> Result<Vec<u8>> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut buf = Vec::new();
    f.take(MAX_TAG_BYTES + 1).read_to_end(&mut buf).map_err(|e| Error::io("read", path, e))?;
    if buf.len() as u64 > MAX_TAG_BYTES {
        return Err(Error::invalid("bag file", path.display().to_string(), "larger than 256 MB"));
    }
    Ok(buf)
}

pub(super) fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_small(path)?)
        .map_err(|_| Error::invalid("bag file", path.display().to_string(), "not UTF-8 text"))
}

fn hash_file(path: &Path) -> Result<(Sha256, u64)> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    hash_reader(f).map_err(|e| Error::io("read", path, e))
}

fn bag_info(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last {
                if let Some(v) = out.get_mut(k) {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    out
}

struct Structure {
    root: PathBuf,
    check: BagCheck,
}

impl Structure {
    fn problem(&mut self, p: String) {
        self.check.problems.push(p);
    }

    /// bagit.txt, the payload manifest (every entry hashed), completeness,
    /// bag-info.txt and its Payload-Oxum, the tag manifest. Returns the
    /// verified payload entries and bag-info.txt.
    fn check_structure(&mut self) -> (Vec<Entry>, BTreeMap<String, String>) {
        let payload_files = self.walk();
        match read_text(&self.root.join("bagit.txt")) {
            Ok(t) if t.lines().any(|l| l.starts_with("BagIt-Version:")) => {}
            Ok(_) => self.problem("bagit.txt: no BagIt-Version line".into()),
            Err(e) => self.problem(format!("bagit.txt: {e}")),
        }
        let listed = self.manifest(MANIFEST, true);
        let listed_names: BTreeSet<&str> = listed.iter().map(|e| e.rel.as_str()).collect();
        for f in &payload_files {
            if !listed_names.contains(f.as_str()) && !self.check.problems.iter().any(|p| p.contains(f.as_str())) {
                self.problem(format!("{f}: in the payload but not in {MANIFEST}"));
            }
        }
        self.check.payload_files = listed.len() as u64;
        self.check.payload_bytes = listed.iter().map(|e| e.size).sum();
        let info = match read_text(&self.root.join("bag-info.txt")) {
            Ok(t) => bag_info(&t),
            Err(e) => {
                self.problem(format!("bag-info.txt: {e}"));
                BTreeMap::new()
            }
        };
        let bytes: u64 =
            payload_files.iter().filter_map(|f| fs::metadata(self.root.join(f)).ok()).map(|m| m.len()).sum();
        let oxum = format!("{bytes}.{}", payload_files.len());
        match info.get("Payload-Oxum") {
            Some(o) if *o == oxum => {}
            Some(o) => self.problem(format!("Payload-Oxum is {o} but the payload holds {oxum} (bytes.files)")),
            None => self.problem("bag-info.txt has no Payload-Oxum".into()),
        }
        self.check.external_identifier = info.get("External-Identifier").cloned();
        if self.root.join(TAGMANIFEST).exists() {
            self.manifest(TAGMANIFEST, false);
        }
        (listed, info)
    }

    /// Check a manifest's entries; returns those that verified.
    fn manifest(&mut self, name: &str, payload: bool) -> Vec<Entry> {
        let path = self.root.join(name);
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) => {
                self.problem(format!("{name}: {e}"));
                return Vec::new();
            }
        };
        let mut seen = BTreeSet::new();
        let mut ok = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((hash, rel)) = manifest_line(line) else {
                self.problem(format!("{name} line {}: not `HASH PATH`", n + 1));
                continue;
            };
            if let Some(why) = unsafe_path(&rel) {
                self.problem(format!("{name} line {}: unsafe path {rel:?} ({why}); refusing the bag", n + 1));
                continue;
            }
            if payload && !rel.starts_with("data/") {
                self.problem(format!("{name} line {}: payload path {rel:?} is outside data/", n + 1));
                continue;
            }
            if !seen.insert(rel.clone()) {
                self.problem(format!("{name} line {}: {rel:?} is listed twice", n + 1));
                continue;
            }
            let Ok(want) = hash.parse::<Sha256>() else {
                self.problem(format!("{name} line {}: {hash:?} is not a SHA-256", n + 1));
                continue;
            };
            let p = self.root.join(&rel);
            match fs::canonicalize(&p) {
                Ok(c) if !c.starts_with(&self.root) => {
                    self.problem(format!("{rel}: resolves to {} outside the bag; refusing the bag", c.display()));
                    continue;
                }
                Err(e) => {
                    self.problem(format!("{rel}: listed in {name} but cannot be read: {e}"));
                    continue;
                }
                Ok(_) => {}
            }
            match hash_file(&p) {
                Ok((got, size)) if got == want => ok.push(Entry { rel, sha: got, size }),
                Ok((got, _)) => self.problem(format!("{rel}: SHA-256 mismatch (manifest {want}, file {got})")),
                Err(e) => self.problem(format!("{rel}: {e}")),
            }
        }
        ok
    }

    /// Walk the bag: refuse symlinks that leave it; return payload files.
    fn walk(&mut self) -> BTreeSet<String> {
        let mut payload = BTreeSet::new();
        for entry in walkdir::WalkDir::new(&self.root).follow_links(false) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.problem(format!("cannot walk the bag: {e}"));
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&self.root) else { continue };
            let Some(rel) = rel.to_str().map(str::to_string) else {
                self.problem(format!("{}: file name is not UTF-8", entry.path().display()));
                continue;
            };
            let ft = entry.file_type();
            if ft.is_symlink() {
                match fs::canonicalize(entry.path()) {
                    Ok(t) if t.starts_with(&self.root) => {
                        if t.is_file() && rel.starts_with("data/") {
                            payload.insert(rel);
                        }
                    }
                    Ok(t) => self
                        .problem(format!("{rel}: symbolic link to {} leaves the bag; refusing the bag", t.display())),
                    Err(_) => self.problem(format!("{rel}: dangling symbolic link")),
                }
            } else if ft.is_file() && rel.starts_with("data/") {
                payload.insert(rel);
            }
        }
        payload
    }
}

/// Read metadata.json, actors.json, events.jsonl and head.txt (each must be
/// a verified payload entry).
fn load_log(root: &Path, listed: &[Entry]) -> std::result::Result<BagLog, String> {
    let load = |rel: &str| -> std::result::Result<String, String> {
        if !listed.iter().any(|e| e.rel == rel) {
            return Err(format!("{rel} is missing (not an evcat bag?)"));
        }
        read_text(&root.join(rel)).map_err(|e| format!("{rel}: {e}"))
    };
    let metadata: Value = serde_json::from_str(&load(METADATA)?).map_err(|e| format!("{METADATA}: not JSON: {e}"))?;
    let metadata = Metadata::parse(&metadata)?;
    let actors: Vec<Value> =
        serde_json::from_str(&load(ACTORS)?).map_err(|e| format!("{ACTORS}: not a JSON list: {e}"))?;
    let mut events = Vec::new();
    for (n, line) in load(EVENTS)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push(serde_json::from_str(line).map_err(|e| format!("{EVENTS} line {}: {e}", n + 1))?);
    }
    let proofs = if listed.iter().any(|e| e.rel == PROOFS) {
        Some(serde_json::from_str(&load(PROOFS)?).map_err(|e| format!("{PROOFS}: {e}"))?)
    } else {
        None
    };
    Ok(BagLog { metadata, actors, events, head: load(HEAD)?.trim().to_string(), proofs })
}

// ---------------------------------------------------------------------------
// The custody contents

/// Everything about a bag's custody contents that can be checked without the
/// source catalog; every problem is added to `check`.
pub(super) fn check_log(
    log: &BagLog,
    info: &BTreeMap<String, String>,
    listed: &[Entry],
    trust: Option<&TsaTrust>,
    check: &mut BagCheck,
) {
    // Keys the bag's own (signed) actor events introduce, rotated ones
    // included, and each event checked against the key valid at its seq.
    let history = KeyHistory::build(&log.events);
    let mut keys = check_keys(log, check);
    keys.extend(history.public_keys());
    check_chain(&log.events, &keys, check);
    for p in history.problems().iter().cloned().chain(log.events.iter().filter_map(|e| history.check(e))) {
        check.problems.push(format!("{}: {}", p.kind, p.message));
    }
    check_head(log, info, listed, check);
    check_stamps(log, trust, check);
    check_records(log, check);
}

/// Actor keys: each key id must be the hash of its public key.
fn check_keys(log: &BagLog, check: &mut BagCheck) -> HashMap<String, String> {
    let mut keys = HashMap::new();
    for a in &log.actors {
        let field = |k: &str| a.get(k).and_then(Value::as_str);
        let (Some(pk), Some(kid)) = (field("public_key"), field("key_id")) else {
            check.problems.push(format!("{ACTORS}: an actor lacks public_key or key_id"));
            continue;
        };
        match hex::decode(pk) {
            Ok(bytes) if custody::key_id_of(&bytes) == kid => {
                keys.insert(kid.to_string(), pk.to_string());
            }
            _ => check.problems.push(format!("{ACTORS}: key id {kid} does not match its public key")),
        }
    }
    keys
}

/// Hashes, signatures and links, by the same verifier `audit` uses. A jump
/// in `seq` (events of other records left out) is a chain gap, not a
/// problem: the link across it cannot be checked from the bag.
fn check_chain(events: &[SealedEvent], keys: &HashMap<String, String>, check: &mut BagCheck) {
    let mut verifier = ChainVerifier::new(keys);
    verifier.push_batch(events);
    let report = verifier.finish();
    // Forward jumps, found as the verifier finds them (each event against
    // the one before it in the bag).
    let mut gaps: BTreeSet<u64> = BTreeSet::new();
    let mut prev = 0;
    for e in events {
        if e.seq() > prev + 1 {
            gaps.insert(e.seq());
        }
        prev = e.seq();
    }
    let mut bad: BTreeSet<u64> = BTreeSet::new();
    for p in &report.problems {
        match p.kind {
            ProblemKind::SequenceGap if gaps.contains(&p.seq) => check.chain_gaps += 1,
            ProblemKind::BrokenLink if gaps.contains(&p.seq) => {}
            ProblemKind::SequenceGap => {
                bad.insert(p.seq);
                check.problems.push(format!("event #{}: out of order ({})", p.seq, p.message));
            }
            _ => {
                bad.insert(p.seq);
                check.problems.push(p.message.clone());
            }
        }
    }
    check.events_verified = events.iter().filter(|e| !bad.contains(&e.seq())).count() as u64;
}

/// The head: the last event, an `exported` event that signs this payload.
fn check_head(log: &BagLog, info: &BTreeMap<String, String>, listed: &[Entry], check: &mut BagCheck) {
    let Some(last) = log.events.last() else {
        check.problems.push(format!("{EVENTS} holds no events"));
        return;
    };
    let last_head = last.head().to_string();
    let head = match log.head.parse::<Head>() {
        Ok(h) if h.agrees_with(&last.head()) => h,
        _ => {
            check.problems.push(format!("{HEAD} says {} but the last exported event is {last_head}", log.head));
            last.head()
        }
    };
    if info.get("Evcat-Custody-Head").is_some_and(|h| *h != log.head) {
        check.problems.push(format!("bag-info.txt Evcat-Custody-Head differs from {HEAD} ({})", log.head));
    }
    check_proofs(log.proofs.as_ref(), &log.events, &head, check);
    let digest = payload_digest(listed).sha256;
    let signed = last.event.detail_str("payload_manifest_sha256");
    if last.event.action() != Action::Exported || signed != Some(digest.as_str()) {
        check.problems.push(format!(
            "the head event #{} does not sign this payload (payload manifest digest {digest}, signed {})",
            last.seq(),
            signed.unwrap_or("nothing")
        ));
    }
    let source = log
        .events
        .iter()
        .find(|e| e.seq() == 1 && e.event.action() == Action::Created)
        .and_then(|e| e.event.detail_str("catalog_id"));
    if source.is_some() && source != log.metadata.source_catalog.as_deref() {
        check.problems.push("metadata.json names a different source catalog than the custody log".into());
    }
    check.source_catalog = log.metadata.source_catalog.clone();
    check.head = Some(head.to_string());
}

/// Replay the bag's events (the one replay, as `audit` does) and compare
/// each record of metadata.json, and each actor of actors.json, with it.
fn check_records(log: &BagLog, check: &mut BagCheck) {
    let mut replay = Replay::new();
    for e in &log.events {
        replay.apply(&e.event);
    }
    for p in replay.take_problems() {
        check.problems.push(format!("{}: {}", p.subject, p.message));
    }
    let live = replay.live();
    let mut in_metadata: BTreeSet<Subject> = BTreeSet::new();
    for rec in log.metadata.records() {
        in_metadata.insert(rec.id);
        let (Some(kind), Some(id)) = (rec.id.kind(), rec.id.id()) else { continue };
        match replay.check(kind, id, &rec.row) {
            RowCheck::Matches => check.records_verified += 1,
            RowCheck::NotInLog => check.problems.push(format!("{}: no custody event in the bag creates it", rec.id)),
            RowCheck::RemovedInLog => check.problems.push(format!("{}: its custody events say it was removed", rec.id)),
            RowCheck::Differs(fields) => check.problems.push(format!(
                "{}: its metadata differs from what its custody events say ({})",
                rec.id,
                fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        }
    }
    for &(kind, id) in &live {
        let s = kind.subject(id);
        if kind != RecordKind::Actor && !in_metadata.contains(&s) {
            check.problems.push(format!("{s}: the bag's custody events create it but metadata.json lacks it"));
        }
    }
    // The keys used to verify must be the ones the log's actor events added.
    for a in &log.actors {
        let Some(kid) = a.get("key_id").and_then(Value::as_str) else { continue };
        let attested = live.iter().filter(|(k, _)| *k == RecordKind::Actor).any(|&(k, id)| {
            matches!(replay.state(k, id), Some(RowState::Live(row))
                if row.get("key_id").and_then(Value::as_str) == Some(kid)
                    && row.get("public_key") == a.get("public_key"))
        });
        if !attested {
            check.problems.push(format!("{ACTORS}: key {kid} is not added by an actor event in the bag"));
        }
    }
}
