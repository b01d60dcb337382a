//! `evcat export bag`: files, metadata and the custody events that attest
//! them, sealed by an `exported` event that signs the payload.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{
    manifest_text, payload_digest, BagExport, BagOptions, Entry, ACTORS, BAG_FORMAT, CUSTODY_DB, EVENTS, HEAD,
    MANIFEST, METADATA, PROOFS, TAGMANIFEST,
};
use crate::catalog::files::Storage;
use crate::catalog::{actors, log, now, row_snapshot, tree, Catalog, RecordKind, Subject};
use crate::custody::{Action, Head, SealedEvent};
use crate::error::{Error, Result};
use crate::export::{safe_name, temp_beside, Scope, Selection};
use crate::hash::{copy_and_hash, hash_reader, Sha256};

fn write_bytes(root: &Path, rel: &str, bytes: &[u8]) -> Result<Entry> {
    let p = root.join(rel);
    let mut f = fs::File::create(&p).map_err(|e| Error::io("create", &p, e))?;
    f.write_all(bytes).map_err(|e| Error::io("write", &p, e))?;
    f.sync_all().map_err(|e| Error::io("fsync", &p, e))?;
    Ok(Entry { rel: rel.to_string(), sha: Sha256::of_bytes(bytes), size: bytes.len() as u64 })
}

fn write_json(root: &Path, rel: &str, v: &impl serde::Serialize, what: &str) -> Result<Entry> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Error::Json { context: what.into(), source: e })?;
    write_bytes(root, rel, text.as_bytes())
}

fn hash_file(path: &Path) -> Result<(Sha256, u64)> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    hash_reader(f).map_err(|e| Error::io("read", path, e))
}

/// Copy `src` to `root/rel` while hashing; the bytes must hash to `expect`.
fn copy_verified(src: &Path, root: &Path, rel: &str, expect: &Sha256, what: &str) -> Result<Entry> {
    let input = fs::File::open(src).map_err(|e| Error::io("open", src, e))?;
    let dest = root.join(rel);
    let out = fs::File::create(&dest).map_err(|e| Error::io("create", &dest, e))?;
    let (sha, size) = copy_and_hash(input, &out).map_err(|e| Error::io("copy", src, e))?;
    out.sync_all().map_err(|e| Error::io("fsync", &dest, e))?;
    if sha != *expect {
        return Err(Error::Corrupt(format!(
            "{what}: {} no longer matches its recorded SHA-256 (expected {expect}, found {sha}); run `evcat audit`",
            src.display()
        )));
    }
    Ok(Entry { rel: rel.to_string(), sha, size })
}

fn snapshot(cat: &Catalog, subject: Subject) -> Result<Value> {
    let (Some(kind), Some(id)) = (subject.kind(), subject.id()) else {
        return Err(Error::Corrupt(format!("internal: {subject} has no row")));
    };
    row_snapshot(cat.conn(), kind, id)?.ok_or_else(|| Error::Corrupt(format!("{subject} vanished during export")))
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

/// The payload written so far and what the export reports about it.
#[derive(Default)]
struct Payload {
    entries: Vec<Entry>,
    warnings: Vec<String>,
    files_with_bytes: usize,
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
        match self.build_bag(&tmp, out, &sel, opts) {
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
        let mut payload = Payload::default();
        let files_meta = self.bag_files(root, sel, &mut payload)?;
        let articles_meta = self.bag_articles(root, sel, &mut payload)?;
        let rows = |subjects: Vec<Subject>| -> Result<Vec<Value>> {
            subjects.into_iter().map(|s| Ok(json!({ "id": s, "row": snapshot(self, s)? }))).collect()
        };
        let last_audit = self.last_audit()?;
        let metadata = json!({
            "evcat_bag": BAG_FORMAT,
            "generator": format!("evcat {}", env!("CARGO_PKG_VERSION")),
            "source_catalog": catalog_id,
            "scope": opts.scope.to_string(),
            "exported_at": now(),
            "articles": articles_meta,
            "claims": rows(sel.claims.values().map(|c| Subject::Claim(c.id)).collect())?,
            "links": rows(sel.links.values().map(|l| Subject::Link(l.id)).collect())?,
            "evidence": rows(sel.evidence.values().map(|e| Subject::Evidence(e.id)).collect())?,
            "files": files_meta,
            "last_audit": last_audit,
        });
        payload.entries.push(write_json(root, METADATA, &metadata, "bag metadata")?);

        // The `exported` event signs the payload so far; it is the bag's head.
        let digest = payload_digest(&payload.entries);
        let details = json!({
            "format": "bag",
            "scope": opts.scope.to_string(),
            "out": out.display().to_string(),
            "records": sel.record_ids(),
            "payload_manifest_sha256": digest.sha256,
            "payload_files": digest.files,
            "payload_bytes": digest.bytes,
        });
        let event_seq = self.write(|w| w.append(Subject::Catalog, Action::Exported, None, details))?;
        let events = self.bag_events(sel, opts.scope, event_seq, last_audit.as_ref().map(SealedEvent::seq))?;
        let head = events
            .last()
            .filter(|e| e.seq() == event_seq)
            .map(|e| e.head())
            .ok_or_else(|| Error::Corrupt("exported event vanished".into()))?
            .with_root(tree::root_at(self, event_seq)?);
        let earlier: Vec<Head> = events
            .iter()
            .filter(|e| matches!(e.event.action(), Action::Timestamped | Action::Witnessed))
            .filter_map(|e| e.event.detail_str("head").and_then(|h| h.parse::<Head>().ok()))
            .filter(|h| h.root.is_some() && h.seq < event_seq)
            .collect();
        let proofs = self.bag_proofs(&head, &events, &earlier)?;
        payload.entries.push(write_json(root, PROOFS, &proofs, "bag proofs")?);
        let head = head.to_string();
        self.write_custody(root, &events, &head, &mut payload)?;

        let oxum = format!("{}.{}", payload.entries.iter().map(|e| e.size).sum::<u64>(), payload.entries.len());
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
             Evcat-Payload-Manifest-SHA256: {}\n",
            chrono::Utc::now().format("%Y-%m-%d"),
            opts.scope,
            counts.files,
            counts.evidence,
            counts.claims,
            counts.articles,
            env!("CARGO_PKG_VERSION"),
            digest.sha256,
        );
        let mut tags = vec![
            write_bytes(root, "bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")?,
            write_bytes(root, "bag-info.txt", info.as_bytes())?,
            write_bytes(root, MANIFEST, manifest_text(&payload.entries).as_bytes())?,
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
            files_with_bytes: payload.files_with_bytes,
            warnings: payload.warnings,
            events: events.len(),
            head,
            event: event_seq,
        })
    }

    /// Copy each selected file's bytes (hash-checked) and describe it.
    fn bag_files(&self, root: &Path, sel: &Selection, payload: &mut Payload) -> Result<Vec<Value>> {
        let mut meta = Vec::new();
        for f in sel.files.values() {
            let rel = format!("data/files/{}-{}", f.id, safe_name(f.original_name.as_deref().unwrap_or("file")));
            let src = match f.storage {
                Storage::Object => Some(self.store().object_path(&f.sha256)),
                Storage::InPlace => f.original_path.as_ref().map(PathBuf::from),
            };
            let mut path = Value::Null;
            match src {
                Some(p) if p.is_file() => {
                    payload.entries.push(copy_verified(&p, root, &rel, &f.sha256, &f.id.to_string())?);
                    path = Value::String(rel);
                    payload.files_with_bytes += 1;
                }
                Some(p) if f.storage == Storage::Object => {
                    return Err(Error::Corrupt(format!(
                        "{}: its object {} is missing from the store; run `evcat audit`",
                        f.id,
                        p.display()
                    )))
                }
                _ => payload.warnings.push(format!(
                    "{}: in-place file {} is not readable here; listed in the metadata without its bytes",
                    f.id,
                    f.original_path.as_deref().unwrap_or("(no path)")
                )),
            }
            meta.push(json!({ "id": f.id, "path": path, "row": snapshot(self, Subject::File(f.id))? }));
        }
        Ok(meta)
    }

    /// Copy each selected article's source file and describe the article.
    fn bag_articles(&self, root: &Path, sel: &Selection, payload: &mut Payload) -> Result<Vec<Value>> {
        let mut meta = Vec::new();
        for a in sel.articles.values() {
            let mut path = Value::Null;
            if let Some(sha) = a.source_sha256.as_deref().and_then(|s| s.parse::<Sha256>().ok()) {
                let p = self.store().object_path(&sha);
                if p.is_file() {
                    let name = safe_name(a.source_name.as_deref().unwrap_or("source.txt"));
                    let rel = format!("data/articles/{}-{name}", a.id);
                    payload.entries.push(copy_verified(&p, root, &rel, &sha, &format!("{} source", a.id))?);
                    path = Value::String(rel);
                } else {
                    payload.warnings.push(format!("{}: source file object {sha} is missing; run `evcat audit`", a.id));
                }
            }
            meta.push(json!({ "id": a.id, "source_path": path, "row": snapshot(self, Subject::Article(a.id))? }));
        }
        Ok(meta)
    }

    /// The events a bag carries, up to and including its `exported` event:
    /// every event for `--all`; otherwise those of the selected records, all
    /// actor events (the keys), event 1 (the catalog id) and the last audit.
    fn bag_events(&self, sel: &Selection, scope: Scope, exported: u64, audit: Option<u64>) -> Result<Vec<SealedEvent>> {
        let subjects = sel.subjects();
        let mut events = Vec::new();
        log::for_each(self, |e| {
            let seq = e.seq();
            if seq > exported {
                return Ok(());
            }
            let subject = e.event.subject();
            // Time-stamps and witness signatures of heads: the bag proves its
            // head extends theirs, so they date the events it holds.
            let attests_head = subject == Some(Subject::Catalog)
                && matches!(e.event.action(), Action::Timestamped | Action::Witnessed);
            let keep = scope == Scope::All
                || seq == 1
                || seq == exported
                || Some(seq) == audit
                || attests_head
                || subject.is_some_and(|s| s.kind() == Some(RecordKind::Actor) || subjects.contains(&s));
            if keep {
                events.push(e);
            }
            Ok(())
        })?;
        Ok(events)
    }

    /// `data/custody/`: events.jsonl, actors.json, head.txt, custody.sqlite.
    fn write_custody(&self, root: &Path, events: &[SealedEvent], head: &str, payload: &mut Payload) -> Result<()> {
        let mut jsonl = String::new();
        for e in events {
            let line =
                serde_json::to_string(e).map_err(|e| Error::Json { context: "custody event".into(), source: e })?;
            jsonl.push_str(&line);
            jsonl.push('\n');
        }
        payload.entries.push(write_bytes(root, EVENTS, jsonl.as_bytes())?);
        let actor_list = actors::list(self)?;
        payload.entries.push(write_json(root, ACTORS, &actor_list, "actors")?);
        payload.entries.push(write_bytes(root, HEAD, format!("{head}\n").as_bytes())?);
        let db = root.join(CUSTODY_DB);
        log::write_log_db(self, &db, &actor_list, events)?;
        let (sha, size) = hash_file(&db)?;
        payload.entries.push(Entry { rel: CUSTODY_DB.into(), sha, size });
        Ok(())
    }
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
                    (head.txt), a Merkle inclusion proof of every event against
                    that head (proofs.json) and the same events as custody.sqlite

The head of this bag is {head}
(SEQ:CHAIN_HASH:TREE_ROOT). It is the `exported` event, signed by the exporting
actor; its details carry the SHA-256 of the manifest lines of every payload
file outside data/custody/. The tree root commits to every event of the source
log up to it, including those this bag leaves out.

How to verify
  1. The bag:          bagit.py --validate THIS_DIR
                       (or any BagIt validator: manifests and Payload-Oxum)
  2. Everything, with evcat:
                       evcat --catalog SOME_CATALOG import bag THIS_DIR
     verifies the manifests, refuses unsafe paths, recomputes every event's
     hash from its fields (encoding spec: ARCHITECTURE.md, \"Custody encoding\"),
     checks each signature with the exported actor keys, the links between
     consecutive events, each event's inclusion proof against the head's tree
     root, that the head is the `exported` event naming this payload, and that
     each record equals the replay of its events; only then does it merge the
     records. It lists the events withheld (those of other records).
  3. Independently:    python3 tools/verify_chain.py data/custody/custody.sqlite
     (from the evcat source tree) recomputes every hash and signature and
     checks every proof in proofs.json with a second implementation. For a
     partial export it also reports a sequence gap and a broken link wherever
     other records' events were left out (the proofs cover those events); a bag
     made with `--all` holds the whole chain and verifies clean.
  4. The head itself: compare it with a head the source published, timestamped
     or had witnessed; whoever holds the source catalog proves this head is
     still in its log, unchanged, with   evcat audit --head {head}
",
    )
}
