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
use super::{payload_digest, BagCheck, BagKind, Entry, Metadata, ACTORS, EVENTS, HEAD, MANIFEST, METADATA, PROOFS};
use crate::custody::authority::KeyHistory;
use crate::custody::{self, Action, ChainVerifier, Head, ProblemKind, Replay, RowCheck, RowState, SealedEvent};
use crate::error::{Error, Result};
use crate::export::digests::{digest_file, Algorithm};
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

/// A verified evcat bag, ready to merge.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    pub root: PathBuf,
    pub log: BagLog,
}

/// A verified bag from another tool: its payload (every file checked against
/// every manifest) and bag-info.txt, ready to register.
#[derive(Debug, Clone)]
pub(super) struct Foreign {
    pub root: PathBuf,
    pub entries: Vec<Entry>,
    pub info: BTreeMap<String, String>,
}

/// What a sound bag holds.
#[derive(Debug, Clone)]
pub(super) enum Sound {
    Evcat(Box<Verified>),
    Foreign(Foreign),
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

/// An evcat bag holds its custody log; anything else is a bag from another
/// tool (bagit.py, Archivematica, a court's submission), whose payload is
/// checked by its manifests alone.
fn is_evcat_bag(listed: &[Entry], info: &BTreeMap<String, String>) -> bool {
    listed.iter().any(|e| e.rel == EVENTS || e.rel == HEAD)
        || info.get("Bag-Software-Agent").is_some_and(|a| a.starts_with("evcat "))
}

pub(super) fn verify(dir: &Path, trust: Option<&TsaTrust>) -> Result<(BagCheck, Option<Sound>)> {
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("open bag", dir, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid("bag", dir.display().to_string(), "not a directory"));
    }
    let root = fs::canonicalize(dir).map_err(|e| Error::io("resolve", dir, e))?;
    let mut v = Structure {
        root: root.clone(),
        check: BagCheck { bag: dir.to_path_buf(), ..Default::default() },
        oxum_missing: false,
    };
    let (listed, info) = v.check_structure();
    let evcat = is_evcat_bag(&listed, &info);
    if evcat && v.oxum_missing {
        v.problem("bag-info.txt has no Payload-Oxum (evcat bags always carry one)".into());
    }
    v.check.kind = if evcat { BagKind::Evcat } else { BagKind::Foreign };
    if !evcat {
        v.check.bag_info = info.clone();
    }
    if !v.check.problems.is_empty() {
        return Ok((v.check, None));
    }
    let mut check = v.check;
    if !evcat {
        check.valid = true;
        return Ok((check, Some(Sound::Foreign(Foreign { root, entries: listed, info }))));
    }
    // The custody contents, now that their bytes are known to be the bag's.
    let log = match load_log(&root, &listed) {
        Ok(log) => log,
        Err(p) => {
            check.problems.push(p);
            return Ok((check, None));
        }
    };
    check_log(&log, &info, &listed, trust, &mut check);
    check.valid = check.problems.is_empty();
    let verified = check.valid.then(|| Sound::Evcat(Box::new(Verified { root, log })));
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

/// `manifest-ALG.txt` or `tagmanifest-ALG.txt`.
fn manifest_name(alg: Algorithm, payload: bool) -> String {
    format!("{}manifest-{alg}.txt", if payload { "" } else { "tag" })
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
    /// bag-info.txt has no Payload-Oxum: allowed by RFC 8493 (it is
    /// optional), so a problem only for evcat's own bags, which always write it.
    oxum_missing: bool,
}

/// A manifest's entries: decoded path -> lowercase hex digest.
type ManifestEntries = BTreeMap<String, String>;

impl Structure {
    fn problem(&mut self, p: String) {
        self.check.problems.push(p);
    }

    /// bagit.txt; the payload manifests of every algorithm present (each file
    /// in each manifest, every entry hashed); completeness; bag-info.txt and
    /// its Payload-Oxum; fetch.txt (refused); the tag manifests. Returns the
    /// verified payload entries and bag-info.txt.
    fn check_structure(&mut self) -> (Vec<Entry>, BTreeMap<String, String>) {
        let payload_files = self.walk();
        match read_text(&self.root.join("bagit.txt")) {
            Ok(t) if t.trim_start_matches('\u{feff}').lines().any(|l| l.starts_with("BagIt-Version:")) => {}
            Ok(_) => self.problem("bagit.txt: no BagIt-Version line".into()),
            Err(e) => self.problem(format!("bagit.txt: {e}")),
        }
        let (payload_algs, tag_algs) = self.manifest_files();
        if payload_algs.is_empty() && !self.check.problems.iter().any(|p| p.starts_with("manifest-")) {
            self.problem(format!(
                "no payload manifest ({MANIFEST}, or manifest-ALG.txt for md5, sha1, sha224, sha384, sha512): not a BagIt bag"
            ));
        }
        self.check.algorithms = payload_algs.clone();
        let listed = self.payload(&payload_algs);
        let listed_names: BTreeSet<&str> = listed.iter().map(|e| e.rel.as_str()).collect();
        for f in &payload_files {
            if !listed_names.contains(f.as_str()) && !self.check.problems.iter().any(|p| p.contains(f.as_str())) {
                self.problem(format!("{f}: in the payload but in no manifest"));
            }
        }
        self.check.payload_files = listed.len() as u64;
        self.check.payload_bytes = listed.iter().map(|e| e.size).sum();
        let info_path = self.root.join("bag-info.txt");
        let info = if info_path.exists() {
            match read_text(&info_path) {
                Ok(t) => bag_info(&t),
                Err(e) => {
                    self.problem(format!("bag-info.txt: {e}"));
                    BTreeMap::new()
                }
            }
        } else {
            BTreeMap::new()
        };
        let bytes: u64 =
            payload_files.iter().filter_map(|f| fs::metadata(self.root.join(f)).ok()).map(|m| m.len()).sum();
        let oxum = format!("{bytes}.{}", payload_files.len());
        match info.get("Payload-Oxum") {
            Some(o) if *o == oxum => {}
            Some(o) => self.problem(format!("Payload-Oxum is {o} but the payload holds {oxum} (bytes.files)")),
            None => self.oxum_missing = true,
        }
        self.check.external_identifier = info.get("External-Identifier").cloned();
        self.fetch();
        for alg in tag_algs {
            self.tag_manifest(alg);
        }
        (listed, info)
    }

    /// The payload and tag manifests at the bag's root, by algorithm. A
    /// manifest of an algorithm evcat cannot check is a problem: accepting
    /// the bag would mean accepting files nobody checked against it.
    fn manifest_files(&mut self) -> (Vec<Algorithm>, Vec<Algorithm>) {
        let (mut payload, mut tag) = (Vec::new(), Vec::new());
        let entries = match fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) => {
                self.problem(format!("cannot list the bag: {e}"));
                return (payload, tag);
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            match Algorithm::of_manifest(name) {
                Some((Ok(a), false)) => payload.push(a),
                Some((Ok(a), true)) => tag.push(a),
                Some((Err(alg), _)) => self.problem(format!(
                    "{name}: checksum algorithm {alg:?} is not one evcat verifies (md5, sha1, sha224, sha256, sha384, sha512)"
                )),
                None => {}
            }
        }
        payload.sort();
        tag.sort();
        (payload, tag)
    }

    /// Parse one manifest: safe, unique paths (payload ones under `data/`)
    /// and well-formed digests of `alg`.
    fn parse_manifest(&mut self, alg: Algorithm, payload: bool) -> ManifestEntries {
        let name = manifest_name(alg, payload);
        let text = match read_text(&self.root.join(&name)) {
            Ok(t) => t,
            Err(e) => {
                self.problem(format!("{name}: {e}"));
                return ManifestEntries::new();
            }
        };
        let mut out = ManifestEntries::new();
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
            if out.contains_key(&rel) {
                self.problem(format!("{name} line {}: {rel:?} is listed twice", n + 1));
                continue;
            }
            if hash.len() != alg.hex_len() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.problem(format!("{name} line {}: {hash:?} is not a {alg} digest", n + 1));
                continue;
            }
            out.insert(rel, hash.to_ascii_lowercase());
        }
        out
    }

    /// A listed path must be a file inside the bag.
    fn inside(&mut self, rel: &str, name: &str) -> bool {
        match fs::canonicalize(self.root.join(rel)) {
            Ok(c) if !c.starts_with(&self.root) => {
                self.problem(format!("{rel}: resolves to {} outside the bag; refusing the bag", c.display()));
                false
            }
            Err(e) => {
                self.problem(format!("{rel}: listed in {name} but cannot be read: {e}"));
                false
            }
            Ok(_) => true,
        }
    }

    /// Every payload file, in every payload manifest, read once and checked
    /// against each; returns those that verified, with their SHA-256.
    fn payload(&mut self, algs: &[Algorithm]) -> Vec<Entry> {
        let manifests: Vec<(Algorithm, ManifestEntries)> =
            algs.iter().map(|&a| (a, self.parse_manifest(a, true))).collect();
        let mut digests_of: BTreeMap<String, BTreeMap<Algorithm, String>> = BTreeMap::new();
        for (a, m) in &manifests {
            for (rel, hex) in m {
                digests_of.entry(rel.clone()).or_default().insert(*a, hex.clone());
            }
        }
        let mut ok = Vec::new();
        for (rel, want) in digests_of {
            let missing: Vec<String> =
                algs.iter().filter(|a| !want.contains_key(a)).map(|&a| manifest_name(a, true)).collect();
            if !missing.is_empty() {
                self.problem(format!(
                    "{rel}: not listed in {} (every payload manifest must list every file)",
                    missing.join(", ")
                ));
                continue;
            }
            if !self.inside(&rel, &manifest_name(algs[0], true)) {
                continue;
            }
            match digest_file(&self.root.join(&rel), algs) {
                Ok((sha, size, got)) => {
                    let bad: Vec<String> = want
                        .iter()
                        .filter(|(a, w)| got.get(a) != Some(w))
                        .map(|(a, w)| {
                            format!("{a}: manifest {w}, file {}", got.get(a).map(String::as_str).unwrap_or("?"))
                        })
                        .collect();
                    if bad.is_empty() {
                        ok.push(Entry { rel, sha, size });
                    } else {
                        self.problem(format!("{rel}: checksum mismatch ({})", bad.join("; ")));
                    }
                }
                Err(e) => self.problem(format!("{rel}: {e}")),
            }
        }
        // What the import records as the bag's identity: each payload
        // manifest's own SHA-256.
        for &a in algs {
            let name = manifest_name(a, true);
            if let Ok((sha, _, _)) = digest_file(&self.root.join(&name), &[]) {
                self.check.manifests.insert(name, sha.to_hex());
            }
        }
        ok
    }

    /// A tag manifest: each tag file it lists, checked.
    fn tag_manifest(&mut self, alg: Algorithm) {
        let name = manifest_name(alg, false);
        for (rel, want) in self.parse_manifest(alg, false) {
            if !self.inside(&rel, &name) {
                continue;
            }
            match digest_file(&self.root.join(&rel), &[alg]) {
                Ok((_, _, got)) if got.get(&alg) == Some(&want) => {}
                Ok((_, _, got)) => self.problem(format!(
                    "{rel}: {alg} mismatch (tag manifest {want}, file {})",
                    got.get(&alg).map(String::as_str).unwrap_or("?")
                )),
                Err(e) => self.problem(format!("{rel}: {e}")),
            }
        }
    }

    /// fetch.txt (`URL LENGTH PATH` lines) names payload to download from
    /// elsewhere. A bag whose fetched files are all present is complete and
    /// checked like any other (RFC 8493 §2.2.3); one still missing files is
    /// refused, naming them: evcat never downloads, a bag comes in whole.
    fn fetch(&mut self) {
        let path = self.root.join("fetch.txt");
        if !path.exists() {
            return;
        }
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) => return self.problem(format!("fetch.txt: {e}")),
        };
        let mut absent = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let mut parts = line.splitn(3, [' ', '\t']);
            let (Some(url), Some(len), Some(rel)) = (parts.next(), parts.next(), parts.next()) else {
                self.problem(format!("fetch.txt line {}: not `URL LENGTH PATH`", n + 1));
                continue;
            };
            let rel = rel.trim_start_matches([' ', '\t']);
            if let Some(why) = unsafe_path(rel) {
                self.problem(format!("fetch.txt line {}: unsafe path {rel:?} ({why}); refusing the bag", n + 1));
                continue;
            }
            if len != "-" && len.parse::<u64>().is_err() {
                self.problem(format!("fetch.txt line {}: length {len:?} is neither a number nor `-`", n + 1));
            }
            if !self.root.join(rel).is_file() {
                absent.push(format!("{rel} (from {url})"));
            }
        }
        if !absent.is_empty() {
            self.problem(format!(
                "fetch.txt: {} file(s) to download are not in the bag: {}; evcat does not fetch payload, so download them into the bag first",
                absent.len(),
                absent.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
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
            return Err(format!("{rel} is missing from this evcat bag"));
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
