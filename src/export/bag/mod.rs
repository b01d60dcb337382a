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
//!   data/custody/head.txt            SEQ:CHAIN_HASH:TREE_ROOT of the `exported` event, the bag's head
//!   data/custody/proofs.json         an inclusion proof of each event against the head
//!   data/custody/custody.sqlite      the same events for tools/verify_chain.py
//! ```
//!
//! The `exported` event is appended before the custody files are written, so it
//! is in the bag: it is the bag's head, signed, and its details carry the
//! SHA-256 of the payload manifest lines outside `data/custody/` — binding the
//! files and metadata to the custody chain.
//!
//! - [`write`]: the export;
//! - [`verify`]: what a receiver checks from the bag alone: manifests and
//!   Payload-Oxum; every exported event's hash and signature (with the exported
//!   actor keys, themselves attested by the bag's `actor-added` events); the
//!   links between consecutive exported events; that the head is the last
//!   event, an `exported` event naming this payload; and that the records
//!   equal the replay of their events ([`crate::custody::replay`], the same
//!   replay `audit` runs); and ([`proofs`]) that every event is in the Merkle
//!   tree of the head, so the events left out (`withheld`) are withheld, not
//!   unchecked. What it cannot: that the head itself is the source's real
//!   head; that takes a head published, timestamped or witnessed elsewhere
//!   (`evcat audit --head` at the source; bags from before the tree, without
//!   proofs.json, only prove the links between consecutive events);
//! - [`import`]: plan (what is new, what is already here) -> stage (bytes into
//!   the store, hash-checked) -> apply (one transaction).

mod foreign;
mod import;
mod proofs;
mod verify;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::{Counts, Scope};
use crate::custody::Row;
use crate::hash::Sha256;
use crate::ids::{RecordKind, Subject};

pub use verify::{verify_bag, verify_bag_trusting};

/// Version of the evcat-specific bag contents (metadata.json, custody/).
pub const BAG_FORMAT: u64 = 1;

const MANIFEST: &str = "manifest-sha256.txt";
const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
const METADATA: &str = "data/metadata.json";
const EVENTS: &str = "data/custody/events.jsonl";
const ACTORS: &str = "data/custody/actors.json";
const HEAD: &str = "data/custody/head.txt";
const PROOFS: &str = "data/custody/proofs.json";
const CUSTODY_DB: &str = "data/custody/custody.sqlite";
const CUSTODY_DIR: &str = "data/custody/";

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
    /// `SEQ:CHAIN_HASH:TREE_ROOT` of the `exported` event (the bag's head).
    pub head: String,
    pub event: u64,
}

/// Whose bag it is: evcat's own (custody log inside, fully verified and
/// merged) or another tool's (payload checked by its manifests, each file
/// registered with bag-info.txt as provenance).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BagKind {
    #[default]
    Evcat,
    Foreign,
}

/// Result of checking a bag: everything found wrong, not just the first thing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BagCheck {
    pub bag: PathBuf,
    pub kind: BagKind,
    /// The payload manifests' algorithms (every file is checked against each).
    pub algorithms: Vec<crate::export::digests::Algorithm>,
    /// Each payload manifest's file name -> the SHA-256 of its bytes: what the
    /// import's custody event names the bag by.
    pub manifests: BTreeMap<String, String>,
    /// bag-info.txt of a foreign bag, as read (continuation lines joined).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub bag_info: BTreeMap<String, String>,
    pub valid: bool,
    pub problems: Vec<String>,
    pub payload_files: u64,
    pub payload_bytes: u64,
    pub external_identifier: Option<String>,
    pub source_catalog: Option<String>,
    /// The bag's head `SEQ:CHAIN_HASH:TREE_ROOT` (`SEQ:HASH` for bags from
    /// before the tree), once verified.
    pub head: Option<String>,
    /// Events whose hash and signature verified.
    pub events_verified: u64,
    /// Places where events of other records were left out of the bag.
    pub chain_gaps: u64,
    /// Events proven to be in the Merkle tree of the head (0 for old bags).
    pub events_proven: u64,
    /// Events of the source log up to the head that the bag does not hold.
    pub withheld_events: u64,
    /// Those events as ranges, `#3..#7`.
    pub withheld: Vec<String>,
    /// Earlier heads (timestamped or witnessed) the bag's head provably extends.
    pub consistent_heads: Vec<String>,
    /// The time-stamps of heads and files the bag carries, checked.
    pub timestamps: Vec<crate::timestamp::record::StampCheck>,
    /// Records whose metadata equals the replay of their custody events.
    pub records_verified: u64,
}

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
    pub mapping: BTreeMap<Subject, Subject>,
    /// Sequence number of the `imported` custody event.
    pub event: Option<u64>,
    /// A foreign bag's payload files as `add` registered them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::ingest::AddItem>,
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

/// What the `exported` event signs: the SHA-256 of the manifest lines of
/// the payload outside `data/custody/`, their count and their bytes.
struct PayloadDigest {
    sha256: String,
    files: u64,
    bytes: u64,
}

fn payload_digest(entries: &[Entry]) -> PayloadDigest {
    let content: Vec<Entry> = entries.iter().filter(|e| !e.rel.starts_with(CUSTODY_DIR)).cloned().collect();
    PayloadDigest {
        sha256: Sha256::of_bytes(manifest_text(&content).as_bytes()).to_hex(),
        files: content.len() as u64,
        bytes: content.iter().map(|e| e.size).sum(),
    }
}

/// One record of `data/metadata.json`: `{"id": "F3", "row": {...}}`, plus
/// the payload path of its bytes for files (`path`) and articles
/// (`source_path`).
#[derive(Debug, Clone, PartialEq)]
struct BagRecord {
    id: Subject,
    row: Row,
    path: Option<String>,
}

/// `data/metadata.json`, typed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Metadata {
    source_catalog: Option<String>,
    articles: Vec<BagRecord>,
    claims: Vec<BagRecord>,
    links: Vec<BagRecord>,
    evidence: Vec<BagRecord>,
    files: Vec<BagRecord>,
}

/// The sections of metadata.json, each holding records of one kind.
const SECTIONS: [(&str, RecordKind, Option<&str>); 5] = [
    ("articles", RecordKind::Article, Some("source_path")),
    ("claims", RecordKind::Claim, None),
    ("links", RecordKind::Link, None),
    ("evidence", RecordKind::Evidence, None),
    ("files", RecordKind::File, Some("path")),
];

impl Metadata {
    /// Parse and type-check metadata.json; the error names the record.
    fn parse(v: &Value) -> std::result::Result<Metadata, String> {
        if v.get("evcat_bag").and_then(Value::as_u64) != Some(BAG_FORMAT) {
            return Err(format!("{METADATA}: not an evcat bag of format {BAG_FORMAT}"));
        }
        let mut md = Metadata {
            source_catalog: v.get("source_catalog").and_then(Value::as_str).map(str::to_string),
            ..Default::default()
        };
        for (section, kind, path_key) in SECTIONS {
            let items = match v.get(section) {
                None | Some(Value::Null) => &[][..],
                Some(Value::Array(a)) => a.as_slice(),
                Some(_) => return Err(format!("{METADATA}: \"{section}\" is not a list")),
            };
            let out = md.section_mut(kind);
            for item in items {
                out.push(BagRecord::parse(item, section, kind, path_key)?);
            }
        }
        Ok(md)
    }

    fn section_mut(&mut self, kind: RecordKind) -> &mut Vec<BagRecord> {
        match kind {
            RecordKind::Article => &mut self.articles,
            RecordKind::Claim => &mut self.claims,
            RecordKind::Link => &mut self.links,
            RecordKind::Evidence => &mut self.evidence,
            RecordKind::File | RecordKind::Actor => &mut self.files,
        }
    }

    /// Every record, articles first (the order of the sections).
    fn records(&self) -> impl Iterator<Item = &BagRecord> {
        self.articles.iter().chain(&self.claims).chain(&self.links).chain(&self.evidence).chain(&self.files)
    }
}

impl BagRecord {
    fn parse(
        v: &Value,
        section: &str,
        kind: RecordKind,
        path_key: Option<&str>,
    ) -> std::result::Result<BagRecord, String> {
        let raw = v.get("id").and_then(Value::as_str).unwrap_or("?");
        let id = raw
            .parse::<Subject>()
            .ok()
            .filter(|s| s.kind() == Some(kind))
            .ok_or_else(|| format!("{METADATA}: {section} record has a malformed id {raw:?}"))?;
        let row =
            v.get("row").and_then(Value::as_object).cloned().ok_or_else(|| format!("{METADATA}: {id} has no row"))?;
        let path = match path_key.and_then(|k| v.get(k)) {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(_) => return Err(format!("{METADATA}: the path of {id} is not a string")),
        };
        Ok(BagRecord { id, row, path })
    }

    /// A foreign key of the row (`evidence_id`, `derived_from`, ...) as the
    /// subject it names in the bag's source catalog.
    fn refers_to(&self, column: &str, kind: RecordKind) -> Option<Subject> {
        self.row.get(column).and_then(Value::as_i64).map(|n| kind.subject(n))
    }

    fn text(&self, column: &str) -> Option<&str> {
        self.row.get(column).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod metadata_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_is_typed_and_bad_records_are_named() {
        let v = json!({
            "evcat_bag": 1, "source_catalog": "c1",
            "files": [{"id": "F2", "path": "data/files/F2-a.jpg", "row": {"sha256": "ab"}}],
            "claims": [{"id": "C1", "row": {"text": "x"}}],
        });
        let md = Metadata::parse(&v).unwrap();
        assert_eq!(md.files[0].id.to_string(), "F2");
        assert_eq!(md.files[0].path.as_deref(), Some("data/files/F2-a.jpg"));
        assert_eq!(md.records().count(), 2);
        let wrong_kind = json!({"evcat_bag": 1, "files": [{"id": "E2", "row": {}}]});
        assert!(Metadata::parse(&wrong_kind).unwrap_err().contains("malformed id \"E2\""));
        let no_row = json!({"evcat_bag": 1, "links": [{"id": "L4"}]});
        assert!(Metadata::parse(&no_row).unwrap_err().contains("L4 has no row"));
        assert!(Metadata::parse(&json!({"evcat_bag": 2})).unwrap_err().contains("format 1"));
    }
}
