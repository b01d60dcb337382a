//! BagIt (RFC 8493) export of evidence with its metadata and custody events,
//! and the verified, idempotent import of such a bag into another catalog.
//!
//! Bag layout:
//!
//! ```text
//! OUT/
//!   bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt  README.txt
//!   data/files/F12-clip.mp4          the bytes, named F<id>-<original name> (collision-free)
//!   data/articles/A3-story.html      article source files
//!   data/metadata.json               every selected record as its row snapshot
//!   data/custody/events.jsonl        the custody events of those records (one JSON per line)
//!   data/custody/actors.json         the actors and their public keys
//!   data/custody/head.txt            SEQ:HASH of the `exported` event, the bag's head
//!   data/custody/custody.sqlite      the same events for tools/verify_chain.py
//! ```
//!
//! The `exported` event is appended before the custody files are written, so it
//! is in the bag: it is the bag's head, signed, and its details carry the
//! SHA-256 of the payload manifest lines outside `data/custody/` — binding the
//! files and metadata to the custody chain.
//!
//! What a receiver can verify from the bag alone (and `import bag` does): the
//! manifests and Payload-Oxum; every exported event's hash (recomputed from its
//! fields) and signature (with the exported actor keys, whose key ids are
//! recomputed); the `prev_hash` link between consecutive exported events; that
//! the head is the last exported event, an `exported` event naming this
//! payload; and that each record's metadata equals the replay of its events.
//! What it cannot: that no event between two non-consecutive exported events
//! was changed — the events of other records are not in the bag. Holders of
//! the source catalog check that with `evcat audit --head SEQ:HASH` there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use rusqlite::types::Value as V;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{safe_name, temp_beside, Counts, Scope, Selection};
use crate::catalog::files::Storage;
use crate::catalog::log::{self, LogEntry};
use crate::catalog::{actors, now, row_snapshot, Catalog, Subject, Table};
use crate::custody::{self, Event, SealedEvent};
use crate::error::{Error, Result};
use crate::hash::{copy_and_hash, hash_reader, Sha256};
use crate::store::Staged;

/// Version of the evcat-specific bag contents (metadata.json, custody/).
pub const BAG_FORMAT: u64 = 1;

const MANIFEST: &str = "manifest-sha256.txt";
const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
const METADATA: &str = "data/metadata.json";
const EVENTS: &str = "data/custody/events.jsonl";
const ACTORS: &str = "data/custody/actors.json";
const HEAD: &str = "data/custody/head.txt";
const CUSTODY_DB: &str = "data/custody/custody.sqlite";
/// Tag and metadata files larger than this are refused on import.
const MAX_TAG_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub struct BagOptions {
    pub scope: Scope,
    pub force: bool,
    /// `Source-Organization` in bag-info.txt.
    pub organization: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BagExport {
    pub format: &'static str,
    pub out: PathBuf,
    pub scope: String,
    pub external_identifier: String,
    pub payload_oxum: String,
    pub counts: Counts,
    /// Files whose bytes are in the bag.
    pub files_with_bytes: usize,
    /// Files listed in the metadata only, with the reason.
    pub warnings: Vec<String>,
    pub events: usize,
    /// `SEQ:HASH` of the `exported` event (the bag's head).
    pub head: String,
    pub event: u64,
}

/// One payload file: path inside the bag, hash, size.
#[derive(Debug, Clone)]
struct Entry {
    rel: String,
    sha: Sha256,
    size: u64,
}

fn manifest_text(entries: &[Entry]) -> String {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.rel.cmp(&b.rel));
    sorted.iter().map(|e| format!("{}  {}\n", e.sha.to_hex(), e.rel)).collect()
}

/// SHA-256 of the manifest lines of the payload outside `data/custody/`: what
/// the `exported` event signs.
fn payload_digest(entries: &[Entry]) -> (String, u64, u64) {
    let content: Vec<Entry> = entries.iter().filter(|e| !e.rel.starts_with("data/custody/")).cloned().collect();
    let bytes = content.iter().map(|e| e.size).sum();
    (Sha256::of_bytes(manifest_text(&content).as_bytes()).to_hex(), content.len() as u64, bytes)
}

fn write_bytes(root: &Path, rel: &str, bytes: &[u8]) -> Result<Entry> {
    let p = root.join(rel);
    let mut f = fs::File::create(&p).map_err(|e| Error::io("create", &p, e))?;
    f.write_all(bytes).map_err(|e| Error::io("write", &p, e))?;
    f.sync_all().map_err(|e| Error::io("fsync", &p, e))?;
    Ok(Entry { rel: rel.to_string(), sha: Sha256::of_bytes(bytes), size: bytes.len() as u64 })
}

fn hash_file(path: &Path) -> Result<(Sha256, u64)> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    hash_reader(f).map_err(|e| Error::io("read", path, e))
}

/// Copy `src` to `root/rel` while hashing; the bytes must hash to `expect`.
fn copy_verified(src: &Path, root: &Path, rel: &str, expect: &str, what: &str) -> Result<Entry> {
    let input = fs::File::open(src).map_err(|e| Error::io("open", src, e))?;
    let dest = root.join(rel);
    let out = fs::File::create(&dest).map_err(|e| Error::io("create", &dest, e))?;
    let (sha, size) = copy_and_hash(input, &out).map_err(|e| Error::io("copy", src, e))?;
    out.sync_all().map_err(|e| Error::io("fsync", &dest, e))?;
    if sha.to_hex() != expect {
        return Err(Error::Corrupt(format!(
            "{what}: {} no longer matches its recorded SHA-256 (expected {expect}, found {sha}); run `evcat audit`",
            src.display()
        )));
    }
    Ok(Entry { rel: rel.to_string(), sha, size })
}

fn snapshot(cat: &Catalog, table: Table, id: i64) -> Result<Value> {
    row_snapshot(cat.conn(), table, id)?
        .ok_or_else(|| Error::Corrupt(format!("{} vanished during export", table.display_id(id))))
}

/// One-line value for bag-info.txt (no control characters).
fn info_value(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

fn check_bag_target(out: &Path, force: bool) -> Result<()> {
    match fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(_) if !force => {
            Err(Error::Conflict(format!("{} already exists; pass --force to replace it", out.display())))
        }
        Ok(m) if m.is_dir() && out.join("bagit.txt").is_file() => Ok(()),
        Ok(m) if m.is_dir() && fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false) => Ok(()),
        Ok(_) => Err(Error::Conflict(format!(
            "{} exists and is not a bag (no bagit.txt); refusing to replace it even with --force",
            out.display()
        ))),
    }
}

impl Catalog {
    /// Write a BagIt bag of the selected records to `out` (a new directory).
    pub fn export_bag(&mut self, out: &Path, opts: &BagOptions) -> Result<BagExport> {
        check_bag_target(out, opts.force)?;
        let sel = Selection::build(self, opts.scope)?;
        let tmp = temp_beside(out);
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| Error::io("remove stale temp", &tmp, e))?;
        }
        let result = self.build_bag(&tmp, out, &sel, opts);
        match result {
            Ok(r) => {
                if out.exists() {
                    fs::remove_dir_all(out).map_err(|e| Error::io("replace", out, e))?;
                }
                fs::rename(&tmp, out).map_err(|e| Error::io("rename into place", out, e))?;
                Ok(r)
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    fn build_bag(&mut self, root: &Path, out: &Path, sel: &Selection, opts: &BagOptions) -> Result<BagExport> {
        for d in ["data/files", "data/articles", "data/custody"] {
            let p = root.join(d);
            fs::create_dir_all(&p).map_err(|e| Error::io("create directory", &p, e))?;
        }
        let catalog_id = self.meta("catalog_id")?.unwrap_or_default();
        let mut entries = Vec::new();
        let mut warnings = Vec::new();

        let mut files_meta = Vec::new();
        let mut with_bytes = 0;
        for f in sel.files.values() {
            let rel = format!("data/files/{}-{}", f.id, safe_name(f.original_name.as_deref().unwrap_or("file")));
            let sha: Sha256 = f
                .sha256
                .parse()
                .map_err(|e| Error::Corrupt(format!("{} has a malformed SHA-256 {:?}: {e}", f.id, f.sha256)))?;
            let src = match f.storage {
                Storage::Object => Some(self.store().object_path(&sha)),
                Storage::InPlace => f.original_path.as_ref().map(PathBuf::from),
            };
            let mut path = Value::Null;
            match src {
                Some(p) if p.is_file() => {
                    entries.push(copy_verified(&p, root, &rel, &f.sha256, &f.id.to_string())?);
                    path = Value::String(rel);
                    with_bytes += 1;
                }
                Some(p) if f.storage == Storage::Object => {
                    return Err(Error::Corrupt(format!(
                        "{}: its object {} is missing from the store; run `evcat audit`",
                        f.id,
                        p.display()
                    )))
                }
                _ => warnings.push(format!(
                    "{}: in-place file {} is not readable here; listed in the metadata without its bytes",
                    f.id,
                    f.original_path.as_deref().unwrap_or("(no path)")
                )),
            }
            files_meta.push(json!({ "id": f.id, "path": path, "row": snapshot(self, Table::File, f.id.0)? }));
        }

        let mut articles_meta = Vec::new();
        for a in sel.articles.values() {
            let mut path = Value::Null;
            if let Some(sha) = a.source_sha256.as_deref().and_then(|s| s.parse::<Sha256>().ok()) {
                let p = self.store().object_path(&sha);
                if p.is_file() {
                    let rel = format!(
                        "data/articles/{}-{}",
                        a.id,
                        safe_name(a.source_name.as_deref().unwrap_or("source.txt"))
                    );
                    entries.push(copy_verified(&p, root, &rel, &sha.to_hex(), &format!("{} source", a.id))?);
                    path = Value::String(rel);
                } else {
                    warnings.push(format!("{}: source file object {sha} is missing; run `evcat audit`", a.id));
                }
            }
            articles_meta
                .push(json!({ "id": a.id, "source_path": path, "row": snapshot(self, Table::Article, a.id.0)? }));
        }
        let rows = |table: Table, ids: Vec<(String, i64)>| -> Result<Vec<Value>> {
            ids.into_iter().map(|(id, n)| Ok(json!({ "id": id, "row": snapshot(self, table, n)? }))).collect()
        };
        let claims_meta = rows(Table::Claim, sel.claims.values().map(|c| (c.id.to_string(), c.id.0)).collect())?;
        let links_meta = rows(Table::Link, sel.links.values().map(|l| (l.id.to_string(), l.id.0)).collect())?;
        let evidence_meta = rows(Table::Evidence, sel.evidence.values().map(|e| (e.id.to_string(), e.id.0)).collect())?;
        let last_audit = self.last_audit()?;
        let metadata = json!({
            "evcat_bag": BAG_FORMAT,
            "generator": format!("evcat {}", env!("CARGO_PKG_VERSION")),
            "source_catalog": catalog_id,
            "scope": opts.scope.to_string(),
            "exported_at": now(),
            "articles": articles_meta,
            "claims": claims_meta,
            "links": links_meta,
            "evidence": evidence_meta,
            "files": files_meta,
            "last_audit": last_audit,
        });
        let text = serde_json::to_string_pretty(&metadata)
            .map_err(|e| Error::Json { context: "bag metadata".into(), source: e })?;
        entries.push(write_bytes(root, METADATA, text.as_bytes())?);

        // The `exported` event signs the payload so far; it is the bag's head.
        let (digest, n_files, n_bytes) = payload_digest(&entries);
        let details = json!({
            "format": "bag",
            "scope": opts.scope.to_string(),
            "out": out.display().to_string(),
            "records": sel.record_ids(),
            "payload_manifest_sha256": digest,
            "payload_files": n_files,
            "payload_bytes": n_bytes,
        });
        let event_seq = self.write(|w| w.append(Subject::Catalog, "exported", None, details))?;

        let subjects = sel.subjects();
        let audit_seq = last_audit.as_ref().map(|e| e.seq);
        let mut events: Vec<LogEntry> = Vec::new();
        log::for_each(self, |e| {
            if e.seq > event_seq {
                return Ok(());
            }
            let keep = opts.scope == Scope::All
                || e.seq == 1
                || e.seq == event_seq
                || Some(e.seq) == audit_seq
                || e.subject_type == "actor"
                || e.subject_id.is_some_and(|id| subjects.contains(&(subject_static(&e.subject_type), id)));
            if keep {
                events.push(e);
            }
            Ok(())
        })?;
        let head_entry = events
            .last()
            .filter(|e| e.seq == event_seq)
            .ok_or_else(|| Error::Corrupt("exported event vanished".into()))?;
        let head = format!("{}:{}", head_entry.seq, head_entry.hash);
        let mut jsonl = String::new();
        for e in &events {
            let line =
                serde_json::to_string(e).map_err(|e| Error::Json { context: "custody event".into(), source: e })?;
            jsonl.push_str(&line);
            jsonl.push('\n');
        }
        entries.push(write_bytes(root, EVENTS, jsonl.as_bytes())?);
        let actor_list = actors::list(self)?;
        let actors_text = serde_json::to_string_pretty(&actor_list)
            .map_err(|e| Error::Json { context: "actors".into(), source: e })?;
        entries.push(write_bytes(root, ACTORS, actors_text.as_bytes())?);
        entries.push(write_bytes(root, HEAD, format!("{head}\n").as_bytes())?);
        write_custody_db(&root.join(CUSTODY_DB), &actor_list, &events)?;
        let (sha, size) = hash_file(&root.join(CUSTODY_DB))?;
        entries.push(Entry { rel: CUSTODY_DB.into(), sha, size });

        // Tag files.
        let oxum = format!("{}.{}", entries.iter().map(|e| e.size).sum::<u64>(), entries.len());
        let external = format!("urn:evcat:{catalog_id}:exported:{event_seq}");
        let counts = sel.counts();
        let org = opts.organization.as_deref().map(info_value).filter(|s| !s.is_empty());
        let org = org.unwrap_or_else(|| format!("evcat catalog {catalog_id}"));
        let info = format!(
            "Source-Organization: {org}\n\
             Bagging-Date: {}\n\
             Payload-Oxum: {oxum}\n\
             External-Identifier: {external}\n\
             External-Description: evcat evidence bag of {}: {} files, {} evidence items, {} claims, {} articles\n\
             Bag-Software-Agent: evcat {}\n\
             Evcat-Source-Catalog: {catalog_id}\n\
             Evcat-Custody-Head: {head}\n\
             Evcat-Payload-Manifest-SHA256: {digest}\n",
            chrono::Utc::now().format("%Y-%m-%d"),
            opts.scope,
            counts.files,
            counts.evidence,
            counts.claims,
            counts.articles,
            env!("CARGO_PKG_VERSION"),
        );
        let mut tags = vec![
            write_bytes(root, "bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")?,
            write_bytes(root, "bag-info.txt", info.as_bytes())?,
            write_bytes(root, MANIFEST, manifest_text(&entries).as_bytes())?,
            write_bytes(root, "README.txt", readme(&head, &external).as_bytes())?,
        ];
        tags.sort_by(|a, b| a.rel.cmp(&b.rel));
        write_bytes(root, TAGMANIFEST, manifest_text(&tags).as_bytes())?;

        Ok(BagExport {
            format: "bag",
            out: out.to_path_buf(),
            scope: opts.scope.to_string(),
            external_identifier: external,
            payload_oxum: oxum,
            counts,
            files_with_bytes: with_bytes,
            warnings,
            events: events.len(),
            head,
            event: event_seq,
        })
    }
}

pub(crate) fn subject_static(s: &str) -> &'static str {
    match s {
        "article" => "article",
        "claim" => "claim",
        "link" => "link",
        "evidence" => "evidence",
        "file" => "file",
        _ => "",
    }
}

/// The exported events in the shape `tools/verify_chain.py` reads (a catalog
/// database with only the `actor` and `custody_event` tables).
fn write_custody_db(path: &Path, actors: &[actors::Actor], events: &[LogEntry]) -> Result<()> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "CREATE TABLE actor (name TEXT NOT NULL, role TEXT, public_key TEXT NOT NULL, key_id TEXT NOT NULL, created_at TEXT NOT NULL);
         CREATE TABLE custody_event (seq INTEGER PRIMARY KEY, subject_type TEXT NOT NULL, subject_id INTEGER,
             action TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL, host TEXT NOT NULL, location TEXT, reason TEXT,
             details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL);
         BEGIN;",
    )?;
    for a in actors {
        conn.execute(
            "INSERT INTO actor VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![a.name, a.role, a.public_key, a.key_id, a.created_at],
        )?;
    }
    for e in events {
        conn.execute(
            crate::catalog::log::INSERT_EVENT,
            rusqlite::params![
                e.seq as i64,
                e.subject_type,
                e.subject_id,
                e.action,
                e.actor,
                e.at,
                e.host,
                e.location,
                e.reason,
                custody::canonical_json(&e.details)?,
                e.prev_hash,
                e.hash,
                e.key_id,
                e.signature
            ],
        )?;
    }
    conn.execute_batch("COMMIT;")?;
    conn.close().map_err(|(_, e)| Error::Db(e))?;
    Ok(())
}

fn readme(head: &str, external: &str) -> String {
    format!(
        "evcat evidence bag {external}
==========================================================================

This is a BagIt bag (RFC 8493) written by evcat, a media-evidence catalog.

What is inside
  data/files/       the evidence files, byte for byte, named F<id>-<original name>
  data/articles/    the article source files the claims were marked in
  data/metadata.json  every exported record (articles, claims, links, evidence,
                    files) as the row snapshot the custody log carries, plus the
                    last audit result of the source catalog
  data/custody/     the custody events of these records (events.jsonl), the
                    signing actors' public keys (actors.json), the bag's head
                    (head.txt) and the same events as custody.sqlite

The head of this bag is {head}
It is the `exported` event, signed by the exporting actor; its details carry
the SHA-256 of the manifest lines of every payload file outside data/custody/.

How to verify
  1. The bag:          bagit.py --validate THIS_DIR
                       (or any BagIt validator: manifests and Payload-Oxum)
  2. Everything, with evcat:
                       evcat --catalog SOME_CATALOG import bag THIS_DIR
     verifies the manifests, refuses unsafe paths, recomputes every event's
     hash from its fields (encoding spec: ARCHITECTURE.md, \"Custody encoding\"),
     checks each signature with the exported actor keys, the links between
     consecutive events, that the head is the `exported` event naming this
     payload, and that each record equals the replay of its events; only then
     does it merge the records.
  3. Independently:    python3 tools/verify_chain.py data/custody/custody.sqlite
     (from the evcat source tree) recomputes every hash and signature with a
     second implementation. The bag holds only the events of the exported
     records, so for a partial export it also reports a sequence gap and a
     broken link wherever other records' events were left out; a bag made with
     `--all` holds the whole chain and verifies clean.
  4. Against the source: whoever holds the source catalog proves this head is
     still in its log, unchanged, with   evcat audit --head {head}
",
    )
}

// ---------------------------------------------------------------------------
// Verification

/// Result of checking a bag: everything found wrong, not just the first thing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BagCheck {
    pub bag: PathBuf,
    pub valid: bool,
    pub problems: Vec<String>,
    pub payload_files: u64,
    pub payload_bytes: u64,
    pub external_identifier: Option<String>,
    pub source_catalog: Option<String>,
    /// The bag's head `SEQ:HASH`, once verified.
    pub head: Option<String>,
    /// Events whose hash and signature verified.
    pub events_verified: u64,
    /// Places where events of other records were left out of the bag.
    pub chain_gaps: u64,
    /// Records whose metadata equals the replay of their custody events.
    pub records_verified: u64,
}

/// A verified bag's contents, ready to merge.
#[derive(Debug, Clone)]
struct BagContents {
    root: PathBuf,
    metadata: Value,
}

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

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_small(path)?)
        .map_err(|_| Error::invalid("bag file", path.display().to_string(), "not UTF-8 text"))
}

struct Verifier {
    root: PathBuf,
    check: BagCheck,
}

impl Verifier {
    fn problem(&mut self, p: String) {
        self.check.problems.push(p);
    }

    /// Check a manifest's entries; returns (rel, hash, size) of those that verified.
    fn manifest(&mut self, name: &str, payload: bool) -> Vec<(String, Sha256, u64)> {
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
                Ok((got, size)) if got == want => ok.push((rel, got, size)),
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

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok().map(|_| out)
}

/// An exported event line back into a sealed event.
fn parse_event(v: &Value) -> std::result::Result<SealedEvent, String> {
    let s = |k: &str| str_field(v, k).map(str::to_string).ok_or_else(|| format!("missing field {k}"));
    let opt = |k: &str| match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        _ => Err(format!("field {k} is not a string")),
    };
    let seq = v.get("seq").and_then(Value::as_u64).ok_or("missing seq")?;
    let subject_id = match v.get("subject_id") {
        None | Some(Value::Null) => None,
        Some(x) => Some(x.as_i64().ok_or("subject_id is not an integer")?),
    };
    let prev_hash = hex_array::<32>(&s("prev_hash")?).ok_or("prev_hash is not 64 hex digits")?;
    let hash = hex_array::<32>(&s("hash")?).ok_or("hash is not 64 hex digits")?;
    let signature = hex_array::<64>(&s("signature")?).ok_or("signature is not 128 hex digits")?;
    Ok(SealedEvent {
        event: Event {
            seq,
            subject_type: s("subject_type")?,
            subject_id,
            action: s("action")?,
            actor: s("actor")?,
            at: s("at")?,
            host: s("host")?,
            location: opt("location")?,
            reason: opt("reason")?,
            details: v.get("details").cloned().ok_or("missing details")?,
            prev_hash,
        },
        hash,
        key_id: s("key_id")?,
        signature,
    })
}

/// Replay row/changes/removed details into the expected current snapshot.
fn replay(events: &[&SealedEvent]) -> Option<Value> {
    let mut row: Option<Value> = None;
    for s in events {
        let d = &s.event.details;
        if let Some(r) = d.get("row") {
            row = Some(r.clone());
        } else if let Some(changes) = d.get("changes").and_then(Value::as_object) {
            if let Some(Value::Object(r)) = row.as_mut() {
                for (field, ba) in changes {
                    r.insert(field.clone(), ba.get("after").cloned().unwrap_or(Value::Null));
                }
            }
        } else if d.get("removed").and_then(Value::as_bool) == Some(true) {
            row = None;
        }
    }
    row
}

/// Check a bag completely; `Ok` with problems listed, `Err` only when the
/// directory cannot be examined at all.
pub fn verify_bag(dir: &Path) -> Result<BagCheck> {
    verify_inner(dir).map(|(c, _)| c)
}

fn verify_inner(dir: &Path) -> Result<(BagCheck, Option<BagContents>)> {
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("open bag", dir, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid("bag", dir.display().to_string(), "not a directory"));
    }
    let root = fs::canonicalize(dir).map_err(|e| Error::io("resolve", dir, e))?;
    let mut v = Verifier { root: root.clone(), check: BagCheck { bag: dir.to_path_buf(), ..Default::default() } };

    let payload_files = v.walk();
    match read_text(&root.join("bagit.txt")) {
        Ok(t) if t.lines().any(|l| l.starts_with("BagIt-Version:")) => {}
        Ok(_) => v.problem("bagit.txt: no BagIt-Version line".into()),
        Err(e) => v.problem(format!("bagit.txt: {e}")),
    }
    let listed = v.manifest(MANIFEST, true);
    let listed_names: BTreeSet<&str> = listed.iter().map(|(r, _, _)| r.as_str()).collect();
    for f in &payload_files {
        if !listed_names.contains(f.as_str()) && !v.check.problems.iter().any(|p| p.contains(f.as_str())) {
            v.problem(format!("{f}: in the payload but not in {MANIFEST}"));
        }
    }
    v.check.payload_files = listed.len() as u64;
    v.check.payload_bytes = listed.iter().map(|(_, _, s)| s).sum();
    let info = match read_text(&root.join("bag-info.txt")) {
        Ok(t) => bag_info(&t),
        Err(e) => {
            v.problem(format!("bag-info.txt: {e}"));
            BTreeMap::new()
        }
    };
    let oxum = format!("{}.{}", payload_files_bytes(&root, &payload_files), payload_files.len());
    match info.get("Payload-Oxum") {
        Some(o) if *o == oxum => {}
        Some(o) => v.problem(format!("Payload-Oxum is {o} but the payload holds {oxum} (bytes.files)")),
        None => v.problem("bag-info.txt has no Payload-Oxum".into()),
    }
    v.check.external_identifier = info.get("External-Identifier").cloned();
    if root.join(TAGMANIFEST).exists() {
        v.manifest(TAGMANIFEST, false);
    }
    if !v.check.problems.is_empty() {
        return Ok((v.check, None));
    }

    // The custody events, now that their bytes are known to be the bag's.
    let contents = check_custody(&mut v, &info, &listed);
    v.check.valid = v.check.problems.is_empty();
    let valid = v.check.valid;
    Ok((v.check, contents.filter(|_| valid)))
}

fn payload_files_bytes(root: &Path, files: &BTreeSet<String>) -> u64 {
    files.iter().filter_map(|f| fs::metadata(root.join(f)).ok()).map(|m| m.len()).sum()
}

fn check_custody(
    v: &mut Verifier,
    info: &BTreeMap<String, String>,
    listed: &[(String, Sha256, u64)],
) -> Option<BagContents> {
    let root = v.root.clone();
    let load = |rel: &str| -> std::result::Result<String, String> {
        if !listed.iter().any(|(r, _, _)| r == rel) {
            return Err(format!("{rel} is missing (not an evcat bag?)"));
        }
        read_text(&root.join(rel)).map_err(|e| format!("{rel}: {e}"))
    };
    let parsed = (|| -> std::result::Result<(Value, Vec<Value>, Vec<SealedEvent>, String), String> {
        let metadata: Value =
            serde_json::from_str(&load(METADATA)?).map_err(|e| format!("{METADATA}: not JSON: {e}"))?;
        let actors: Vec<Value> =
            serde_json::from_str(&load(ACTORS)?).map_err(|e| format!("{ACTORS}: not a JSON list: {e}"))?;
        let mut events = Vec::new();
        for (n, line) in load(EVENTS)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let val: Value = serde_json::from_str(line).map_err(|e| format!("{EVENTS} line {}: {e}", n + 1))?;
            events.push(parse_event(&val).map_err(|e| format!("{EVENTS} line {}: {e}", n + 1))?);
        }
        Ok((metadata, actors, events, load(HEAD)?.trim().to_string()))
    })();
    let (metadata, actor_list, events, head) = match parsed {
        Ok(p) => p,
        Err(e) => {
            v.problem(e);
            return None;
        }
    };
    if metadata.get("evcat_bag").and_then(Value::as_u64) != Some(BAG_FORMAT) {
        v.problem(format!("{METADATA}: not an evcat bag of format {BAG_FORMAT}"));
        return None;
    }

    // Keys: the key id must be the hash of the public key it names.
    let mut keys: HashMap<String, String> = HashMap::new();
    for a in &actor_list {
        let (Some(pk), Some(kid)) = (str_field(a, "public_key"), str_field(a, "key_id")) else {
            v.problem(format!("{ACTORS}: an actor lacks public_key or key_id"));
            continue;
        };
        match hex::decode(pk) {
            Ok(bytes) if custody::key_id_of(&bytes) == kid => {
                keys.insert(kid.to_string(), pk.to_string());
            }
            _ => v.problem(format!("{ACTORS}: key id {kid} does not match its public key")),
        }
    }

    // Each event: hash from its fields, signature, and links where consecutive.
    let mut prev: Option<(u64, [u8; 32])> = None;
    for s in &events {
        let seq = s.event.seq;
        match custody::event_hash(&s.event) {
            Ok(h) if h == s.hash => {}
            Ok(_) => v.problem(format!("event #{seq}: its fields do not hash to its recorded hash (altered)")),
            Err(e) => v.problem(format!("event #{seq}: cannot be encoded: {e}")),
        }
        match keys.get(&s.key_id) {
            Some(pk) if custody::verify_signature(pk, &s.hash, &s.signature) => v.check.events_verified += 1,
            Some(_) => v.problem(format!("event #{seq}: signature does not verify with the key of {}", s.event.actor)),
            None => v.problem(format!("event #{seq}: signed with key {} not among the bag's actors", s.key_id)),
        }
        match prev {
            Some((p, _)) if seq <= p => v.problem(format!("event #{seq} follows #{p}: out of order")),
            Some((p, h)) if seq == p + 1 && s.event.prev_hash != h => {
                v.problem(format!("event #{seq}: prev_hash is not the hash of event #{p}"))
            }
            Some((p, _)) if seq > p + 1 => v.check.chain_gaps += 1,
            None if seq == 1 && s.event.prev_hash != custody::GENESIS => {
                v.problem("event #1: prev_hash is not the genesis value".into())
            }
            _ => {}
        }
        prev = Some((seq, s.hash));
    }

    // The head: the last event, an `exported` event that signs this payload.
    let Some(last) = events.last() else {
        v.problem(format!("{EVENTS} holds no events"));
        return None;
    };
    let last_head = format!("{}:{}", last.event.seq, hex::encode(last.hash));
    if head != last_head {
        v.problem(format!("{HEAD} says {head} but the last exported event is {last_head}"));
    }
    if info.get("Evcat-Custody-Head").is_some_and(|h| *h != last_head) {
        v.problem(format!("bag-info.txt Evcat-Custody-Head differs from the last event {last_head}"));
    }
    let entries: Vec<Entry> =
        listed.iter().map(|(rel, sha, size)| Entry { rel: rel.clone(), sha: *sha, size: *size }).collect();
    let (digest, _, _) = payload_digest(&entries);
    let signed = str_field(&last.event.details, "payload_manifest_sha256");
    if last.event.action != "exported" || signed != Some(digest.as_str()) {
        v.problem(format!(
            "the head event #{} does not sign this payload (payload manifest digest {digest}, signed {})",
            last.event.seq,
            signed.unwrap_or("nothing")
        ));
    }
    let source = events
        .iter()
        .find(|e| e.event.seq == 1 && e.event.action == "created")
        .and_then(|e| str_field(&e.event.details, "catalog_id"))
        .map(str::to_string);
    if source.is_some() && source.as_deref() != str_field(&metadata, "source_catalog") {
        v.problem("metadata.json names a different source catalog than the custody log".into());
    }
    v.check.source_catalog = str_field(&metadata, "source_catalog").map(str::to_string);
    v.check.head = Some(last_head);

    // Each record's metadata equals the replay of its events.
    let mut by_subject: HashMap<(String, i64), Vec<&SealedEvent>> = HashMap::new();
    for s in &events {
        if let Some(id) = s.event.subject_id {
            by_subject.entry((s.event.subject_type.clone(), id)).or_default().push(s);
        }
    }
    for (key, table) in
        [("articles", "article"), ("claims", "claim"), ("links", "link"), ("evidence", "evidence"), ("files", "file")]
    {
        for rec in metadata.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let id = str_field(rec, "id").unwrap_or("?").to_string();
            let Some(n) = id.get(1..).and_then(|d| d.parse::<i64>().ok()) else {
                v.problem(format!("{METADATA}: {key} record has a malformed id {id:?}"));
                continue;
            };
            let evs = by_subject.get(&(table.to_string(), n)).cloned().unwrap_or_default();
            match replay(&evs) {
                Some(row) if Some(&row) == rec.get("row") => v.check.records_verified += 1,
                Some(_) => v.problem(format!("{id}: its metadata differs from what its custody events say")),
                None => v.problem(format!("{id}: no custody event in the bag creates it")),
            }
        }
    }
    Some(BagContents { root, metadata })
}

// ---------------------------------------------------------------------------
// Import

#[derive(Debug, Clone, Serialize)]
pub struct BagImport {
    pub check: BagCheck,
    /// False when verification failed (nothing was changed).
    pub imported: bool,
    /// True when every record was already here (nothing was changed).
    pub already_imported: bool,
    pub created: Counts,
    pub existing: Counts,
    /// Records not imported, with the reason.
    pub skipped: Vec<String>,
    /// Source id -> id in this catalog, for every record of the bag.
    pub mapping: BTreeMap<String, String>,
    /// Sequence number of the `imported` custody event.
    pub event: Option<u64>,
}

fn row_of(rec: &Value) -> Result<&Map<String, Value>> {
    rec.get("row")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid("bag record", str_field(rec, "id").unwrap_or("?").to_string(), "has no row"))
}

/// (article, start byte, end byte) of a claim.
type ClaimSpan = (Option<i64>, Option<i64>, Option<i64>);

fn id_num(s: &str) -> Option<i64> {
    s.get(1..).and_then(|d| d.parse().ok())
}

/// Column values of a bag row for `table`, with `overrides` replacing some.
fn columns(table: Table, id: &str, row: &Map<String, Value>, overrides: &[(&str, V)]) -> Result<Vec<(String, V)>> {
    let mut cols = Vec::new();
    for (k, val) in row {
        if let Some((_, o)) = overrides.iter().find(|(c, _)| c == k) {
            cols.push((k.clone(), o.clone()));
            continue;
        }
        table.check_columns(&[k.as_str()]).map_err(|_| {
            Error::invalid(
                "bag record",
                id.to_string(),
                format!("column {k:?} is unknown to this evcat; upgrade evcat"),
            )
        })?;
        let v = match val {
            Value::Null => V::Null,
            Value::String(s) if table == Table::File && (k == "gps_lat" || k == "gps_lon") => V::Real(
                s.parse::<f64>()
                    .map_err(|_| Error::invalid("bag record", id.to_string(), format!("{k} {s:?} is not a number")))?,
            ),
            Value::String(s) => V::Text(s.clone()),
            Value::Number(n) => V::Integer(n.as_i64().ok_or_else(|| {
                Error::invalid("bag record", id.to_string(), format!("{k} {n} is not a 64-bit integer"))
            })?),
            other => {
                return Err(Error::invalid(
                    "bag record",
                    id.to_string(),
                    format!("{k} holds {other}, not a column value"),
                ))
            }
        };
        cols.push((k.clone(), v));
    }
    for (c, o) in overrides {
        if !row.contains_key(*c) {
            cols.push((c.to_string(), o.clone()));
        }
    }
    Ok(cols)
}

fn records<'a>(metadata: &'a Value, key: &str) -> &'a [Value] {
    metadata.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

impl Catalog {
    /// Verify a bag; if it is sound, merge its records into this catalog.
    pub fn import_bag(&mut self, dir: &Path) -> Result<BagImport> {
        let (check, contents) = verify_inner(dir)?;
        let mut report = BagImport {
            check,
            imported: false,
            already_imported: false,
            created: Counts::default(),
            existing: Counts::default(),
            skipped: Vec::new(),
            mapping: BTreeMap::new(),
            event: None,
        };
        let Some(contents) = contents else { return Ok(report) };
        let md = &contents.metadata;
        let source = report.check.source_catalog.clone().unwrap_or_default();
        let head = report.check.head.clone().unwrap_or_default();
        let local_id = self.meta("catalog_id")?.unwrap_or_default();

        // Earlier imports from the same source catalog.
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        log::for_each(self, |e| {
            if e.subject_type == "catalog"
                && e.action == "imported"
                && str_field(&e.details, "kind") == Some("bag")
                && str_field(&e.details, "source_catalog") == Some(source.as_str())
            {
                if let Some(m) = e.details.get("mapping").and_then(Value::as_object) {
                    for (k, v) in m {
                        if let Some(v) = v.as_str() {
                            map.insert(k.clone(), v.to_string());
                        }
                    }
                }
            }
            Ok(())
        })?;
        let same_catalog = source == local_id;

        // Plan: which records exist here already, which are new.
        let local_articles: HashMap<String, String> =
            self.list_articles(None, None)?.into_iter().map(|a| (a.body_sha256, a.id.to_string())).collect();
        let mut anchored: HashMap<ClaimSpan, String> = HashMap::new();
        let mut standalone: HashMap<String, String> = HashMap::new();
        for c in self.list_claims(&crate::catalog::claims::ClaimFilter::default())? {
            match c.article_id {
                Some(a) => {
                    let key = (Some(a.0), c.start_byte.map(|v| v as i64), c.end_byte.map(|v| v as i64));
                    anchored.entry(key).or_insert_with(|| c.id.to_string());
                }
                None => {
                    standalone.entry(c.text.clone()).or_insert_with(|| c.id.to_string());
                }
            }
        }
        let mut new_articles = Vec::new();
        for rec in records(md, "articles") {
            let id = str_field(rec, "id").unwrap_or_default().to_string();
            let row = row_of(rec)?;
            if self.existing_mapping(&mut map, &id, same_catalog)? {
                report.existing.articles += 1;
                continue;
            }
            let body_sha = row.get("body_sha256").and_then(Value::as_str).unwrap_or_default();
            if let Some(a) = local_articles.get(body_sha) {
                map.insert(id, a.clone());
                report.existing.articles += 1;
            } else {
                new_articles.push(rec);
            }
        }
        // Files first, so evidence can be matched through bytes already here.
        let mut new_files = Vec::new();
        for rec in records(md, "files") {
            let id = str_field(rec, "id").unwrap_or_default().to_string();
            let row = row_of(rec)?;
            if self.existing_mapping(&mut map, &id, same_catalog)? {
                report.existing.files += 1;
                continue;
            }
            let sha = row.get("sha256").and_then(Value::as_str).unwrap_or_default();
            let local = sha.parse::<Sha256>().ok().map(|s| self.file_by_sha(&s)).transpose()?.flatten();
            if let Some(f) = local {
                map.insert(id, f.id.to_string());
                if let Some(e) = row.get("evidence_id").and_then(Value::as_i64) {
                    map.entry(format!("E{e}")).or_insert_with(|| f.evidence_id.to_string());
                }
                report.existing.files += 1;
            } else if str_field(rec, "path").is_some() {
                new_files.push(rec);
            } else {
                report.skipped.push(format!("{id}: its bytes are not in the bag"));
            }
        }
        let mut new_evidence = Vec::new();
        for rec in records(md, "evidence") {
            let id = str_field(rec, "id").unwrap_or_default().to_string();
            if self.existing_mapping(&mut map, &id, same_catalog)? {
                report.existing.evidence += 1;
            } else {
                new_evidence.push(rec);
            }
        }
        let mut new_claims = Vec::new();
        for rec in records(md, "claims") {
            let id = str_field(rec, "id").unwrap_or_default().to_string();
            let row = row_of(rec)?;
            if self.existing_mapping(&mut map, &id, same_catalog)? {
                report.existing.claims += 1;
                continue;
            }
            let local_article: Option<i64> = row
                .get("article_id")
                .and_then(Value::as_i64)
                .and_then(|a| map.get(&format!("A{a}")))
                .and_then(|a| id_num(a));
            let same = match local_article {
                Some(a) => anchored
                    .get(&(
                        Some(a),
                        row.get("start_byte").and_then(Value::as_i64),
                        row.get("end_byte").and_then(Value::as_i64),
                    ))
                    .cloned(),
                None if row.get("article_id").is_some_and(|v| !v.is_null()) => None,
                None => standalone.get(row.get("text").and_then(Value::as_str).unwrap_or_default()).cloned(),
            };
            match same {
                Some(c) => {
                    map.insert(id, c);
                    report.existing.claims += 1;
                }
                None => new_claims.push(rec),
            }
        }
        let mut new_links = Vec::new();
        for rec in records(md, "links") {
            let id = str_field(rec, "id").unwrap_or_default().to_string();
            if self.existing_mapping(&mut map, &id, same_catalog)? {
                report.existing.links += 1;
                continue;
            }
            let row = row_of(rec)?;
            let claim = row.get("claim_id").and_then(Value::as_i64).and_then(|c| map.get(&format!("C{c}")).cloned());
            let ev = row.get("evidence_id").and_then(Value::as_i64).and_then(|e| map.get(&format!("E{e}")).cloned());
            let mut found = None;
            if let (Some(c), Some(e)) = (&claim, &ev) {
                if let Ok(cid) = c.parse() {
                    for l in self.links_of_claim(cid)? {
                        let region = l.region.map(|r| [r.x as i64, r.y as i64, r.w as i64, r.h as i64]);
                        let want_region = ["region_x", "region_y", "region_w", "region_h"]
                            .map(|k| row.get(k).and_then(Value::as_i64))
                            .iter()
                            .copied()
                            .collect::<Option<Vec<i64>>>();
                        if l.evidence_id.to_string() == *e
                            && Some(l.relation.as_str()) == row.get("relation").and_then(Value::as_str)
                            && l.range.map(|r| r.start_ms as i64) == row.get("start_ms").and_then(Value::as_i64)
                            && l.range.map(|r| r.end_ms as i64) == row.get("end_ms").and_then(Value::as_i64)
                            && region.map(|r| r.to_vec()) == want_region
                        {
                            found = Some(l.id);
                        }
                    }
                }
            }
            match found {
                Some(l) => {
                    map.insert(id, l.to_string());
                    report.existing.links += 1;
                }
                None => new_links.push(rec),
            }
        }

        if new_articles.is_empty()
            && new_files.is_empty()
            && new_evidence.is_empty()
            && new_claims.is_empty()
            && new_links.is_empty()
        {
            report.imported = true;
            report.already_imported = true;
            report.mapping = map;
            return Ok(report);
        }

        // Stage the bytes (hash-verified against the rows) before the transaction.
        let mut staged: Vec<Staged> = Vec::new();
        let stage = |rel: &str, want: &str, what: &str, staged: &mut Vec<Staged>| -> Result<()> {
            let p = contents.root.join(rel);
            let st = self.store().stage_file(&p)?;
            if st.sha256.to_hex() != want {
                self.store().discard(&st);
                return Err(Error::Corrupt(format!(
                    "{what}: {} changed while importing (SHA-256 {} instead of {want})",
                    p.display(),
                    st.sha256
                )));
            }
            staged.push(st);
            Ok(())
        };
        let staging = (|| -> Result<()> {
            for rec in &new_files {
                let row = row_of(rec)?;
                let want = row.get("sha256").and_then(Value::as_str).unwrap_or_default();
                stage(
                    str_field(rec, "path").unwrap_or_default(),
                    want,
                    str_field(rec, "id").unwrap_or("?"),
                    &mut staged,
                )?;
            }
            for rec in &new_articles {
                let row = row_of(rec)?;
                if let (Some(p), Some(want)) =
                    (str_field(rec, "source_path"), row.get("source_sha256").and_then(Value::as_str))
                {
                    stage(p, want, str_field(rec, "id").unwrap_or("?"), &mut staged)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = staging {
            for st in &staged {
                self.store().discard(st);
            }
            return Err(e);
        }

        let origin = |id: &str| json!({ "origin": { "catalog": source, "id": id, "head": head } });
        let files_by_evidence: BTreeSet<i64> = records(md, "files")
            .iter()
            .filter(|r| map.contains_key(str_field(r, "id").unwrap_or_default()) || new_files.contains(r))
            .filter_map(|r| r.get("row").and_then(|row| row.get("evidence_id")).and_then(Value::as_i64))
            .collect();
        let mut created = Counts::default();
        let mut map_w = map.clone();
        let bag_id = report.check.external_identifier.clone();
        let result = self.write(|w| {
            for rec in &new_articles {
                let id = str_field(rec, "id").unwrap_or_default();
                let row = row_of(rec)?;
                let mut ov = Vec::new();
                if str_field(rec, "source_path").is_none() {
                    ov.push(("source_sha256", V::Null));
                }
                let cols = columns(Table::Article, id, row, &ov)?;
                let n = insert(w, Table::Article, &cols, origin(id))?;
                map_w.insert(id.to_string(), format!("A{n}"));
                created.articles += 1;
            }
            for rec in &new_evidence {
                let id = str_field(rec, "id").unwrap_or_default();
                let row = row_of(rec)?;
                let mut ov = Vec::new();
                let holds = id_num(id).is_some_and(|n| files_by_evidence.contains(&n));
                if row.get("status").and_then(Value::as_str) == Some("acquired") && !holds {
                    ov.push(("status", V::Text("referenced".into())));
                }
                let cols = columns(Table::Evidence, id, row, &ov)?;
                let n = insert(w, Table::Evidence, &cols, origin(id))?;
                map_w.insert(id.to_string(), format!("E{n}"));
                created.evidence += 1;
            }
            // Parents before derived files.
            let mut pending: Vec<&&Value> = new_files.iter().collect();
            while !pending.is_empty() {
                let before = pending.len();
                let mut rest = Vec::new();
                for rec in pending {
                    let id = str_field(rec, "id").unwrap_or_default();
                    let row = row_of(rec)?;
                    let parent = row.get("derived_from").and_then(Value::as_i64).map(|d| format!("F{d}"));
                    let parent_pending = parent.as_ref().is_some_and(|p| {
                        !map_w.contains_key(p) && new_files.iter().any(|r| str_field(r, "id") == Some(p.as_str()))
                    });
                    if parent_pending && before > 0 {
                        rest.push(rec);
                        continue;
                    }
                    let local = |k: &str, prefix: char| -> V {
                        row.get(k)
                            .and_then(Value::as_i64)
                            .and_then(|n| map_w.get(&format!("{prefix}{n}")))
                            .and_then(|s| id_num(s))
                            .map(V::Integer)
                            .unwrap_or(V::Null)
                    };
                    let ev = local("evidence_id", 'E');
                    if ev == V::Null {
                        return Err(Error::invalid(
                            "bag record",
                            id.to_string(),
                            "its evidence item is not in the bag",
                        ));
                    }
                    let ov = vec![
                        ("evidence_id", ev),
                        ("derived_from", local("derived_from", 'F')),
                        ("storage", V::Text(Storage::Object.as_str().into())),
                    ];
                    let cols = columns(Table::File, id, row, &ov)?;
                    let n = insert(w, Table::File, &cols, origin(id))?;
                    map_w.insert(id.to_string(), format!("F{n}"));
                    created.files += 1;
                }
                if rest.len() == before {
                    return Err(Error::Corrupt("bag files derive from each other in a cycle".into()));
                }
                pending = rest;
            }
            for rec in &new_claims {
                let id = str_field(rec, "id").unwrap_or_default();
                let row = row_of(rec)?;
                let article = match row.get("article_id").and_then(Value::as_i64) {
                    None => V::Null,
                    Some(a) => {
                        map_w.get(&format!("A{a}")).and_then(|s| id_num(s)).map(V::Integer).ok_or_else(|| {
                            Error::invalid("bag record", id.to_string(), "its article is not in the bag")
                        })?
                    }
                };
                let cols = columns(Table::Claim, id, row, &[("article_id", article)])?;
                let n = insert(w, Table::Claim, &cols, origin(id))?;
                map_w.insert(id.to_string(), format!("C{n}"));
                created.claims += 1;
            }
            for rec in &new_links {
                let id = str_field(rec, "id").unwrap_or_default();
                let row = row_of(rec)?;
                let get = |k: &str, p: char| {
                    row.get(k)
                        .and_then(Value::as_i64)
                        .and_then(|n| map_w.get(&format!("{p}{n}")))
                        .and_then(|s| id_num(s))
                };
                let (Some(c), Some(e)) = (get("claim_id", 'C'), get("evidence_id", 'E')) else {
                    return Err(Error::invalid(
                        "bag record",
                        id.to_string(),
                        "its claim or evidence is not in the bag",
                    ));
                };
                let cols =
                    columns(Table::Link, id, row, &[("claim_id", V::Integer(c)), ("evidence_id", V::Integer(e))])?;
                let n = insert(w, Table::Link, &cols, origin(id))?;
                map_w.insert(id.to_string(), format!("L{n}"));
                created.links += 1;
            }
            let seq = w.append(
                Subject::Catalog,
                "imported",
                None,
                json!({
                    "kind": "bag",
                    "bag": bag_id,
                    "source_catalog": source,
                    "head": head,
                    "created": created,
                    "mapping": map_w,
                }),
            )?;
            Ok(seq)
        });
        match result {
            Ok(seq) => {
                for st in &staged {
                    self.store().publish(st)?;
                }
                report.imported = true;
                report.created = created;
                report.mapping = map_w;
                report.event = Some(seq);
                Ok(report)
            }
            Err(e) => {
                for st in &staged {
                    self.store().discard(st);
                }
                Err(e)
            }
        }
    }

    /// Is the bag record `id` already here (mapped by an earlier import, or
    /// this is the catalog the bag came from)?
    fn existing_mapping(&self, map: &mut BTreeMap<String, String>, id: &str, same: bool) -> Result<bool> {
        if map.contains_key(id) {
            return Ok(true);
        }
        if same {
            if let Ok(r) = id.parse::<crate::ids::Ref>() {
                if self.resolve_subject(&r).is_ok() {
                    map.insert(id.to_string(), id.to_string());
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

fn insert(w: &mut crate::catalog::Writer<'_>, table: Table, cols: &[(String, V)], extra: Value) -> Result<i64> {
    let refs: Vec<(&str, V)> = cols.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    w.insert_row(table, &refs, "imported", None, extra)
}
