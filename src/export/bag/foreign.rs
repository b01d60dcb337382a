//! `evcat import bag` of a bag made by another tool (bagit.py, Archivematica,
//! a court's or partner's submission): RFC 8493 only, no evcat custody log.
//!
//! The bag was verified first ([`super::verify`]: every payload file against
//! every manifest, tag manifests, Payload-Oxum when present, fetch.txt
//! complete). Then each payload file goes through the same `add` path as a
//! file on disk (so facts, sidecars, fingerprints and its `registered` event
//! are those of any file), with the bag as its acquisition record
//! (`format: bagit`, the strongest payload manifest's name and SHA-256, every
//! bag-info.txt field) and External-Description as provenance (source
//! `import`). One `imported` catalog event then names the bag: its manifests'
//! digests, bag-info.txt and what was registered.
//!
//! Like `add`, the files commit in batches: a kill mid-import leaves whole
//! files registered (each with the bag in its own event) and no `imported`
//! event yet; importing the bag again registers the rest and writes it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::verify::Foreign;
use super::{BagCheck, BagImport};
use crate::catalog::evidence::{Provenance, Source};
use crate::catalog::files::{Acquisition, AcquisitionRecord, RecordFile};
use crate::catalog::{log, Catalog};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::export::Counts;
use crate::ids::Subject;
use crate::ingest::{AddItem, AddOptions, NoProgress};

/// The `kind` of the `imported` event of a foreign bag.
const KIND: &str = "foreign-bag";

/// How the files' acquisition reads: received in a bag, from whom, by which tool.
fn acquisition(check: &BagCheck, info: &BTreeMap<String, String>) -> Acquisition {
    let mut sources = BTreeMap::new();
    let mut acq = Acquisition { method: Some("bag".into()), ..Default::default() };
    sources.insert("method".to_string(), Source::Import);
    if let Some(agent) = info.get("Bag-Software-Agent").filter(|a| !a.is_empty()) {
        acq.tool = Some(agent.clone());
        sources.insert("tool".to_string(), Source::Import);
    }
    let from = [info.get("Source-Organization"), info.get("Contact-Name")]
        .into_iter()
        .flatten()
        .filter(|v| !v.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let id = info.get("External-Identifier").filter(|v| !v.is_empty());
    acq.note = Some(match (id, from.is_empty()) {
        (Some(id), false) => format!("from bag {id} ({from})"),
        (Some(id), true) => format!("from bag {id}"),
        (None, false) => format!("from a bag by {from}"),
        (None, true) => format!("from bag {}", check.bag.display()),
    });
    sources.insert("note".to_string(), Source::Import);
    acq.sources = sources;
    // The strongest payload manifest identifies the bag.
    let manifest = check.algorithms.last().map(|a| format!("manifest-{a}.txt"));
    let record =
        manifest.and_then(|name| check.manifests.get(&name).map(|sha| RecordFile { name, sha256: sha.clone() }));
    acq.record = Some(AcquisitionRecord { format: "bagit".into(), record, fields: info.clone() });
    acq
}

/// An earlier `imported` event of a bag with exactly these manifests.
fn imported_before(cat: &Catalog, manifests: &BTreeMap<String, String>) -> Result<Option<u64>> {
    let want = json!(manifests);
    for e in log::catalog_events_with_action(cat, &Action::Imported)? {
        if e.event.detail_str("kind") == Some(KIND) && e.event.details.get("manifests") == Some(&want) {
            return Ok(Some(e.seq()));
        }
    }
    Ok(None)
}

impl Catalog {
    /// Register a verified foreign bag's payload (see the module docs).
    pub(super) fn import_foreign_bag(&mut self, bag: Foreign, report: &mut BagImport) -> Result<()> {
        let Foreign { root, entries, info } = bag;
        let check = &report.check;
        let opts = AddOptions {
            provenance: Provenance {
                description: info.get("External-Description").filter(|d| !d.is_empty()).cloned(),
                ..Default::default()
            },
            provenance_source: Some(Source::Import),
            acquisition: acquisition(check, &info),
            ..Default::default()
        };
        let paths: Vec<std::path::PathBuf> = entries.iter().map(|e| root.join(&e.rel)).collect();
        // The SHA-256 each file had when the manifests were checked: `add`
        // reads the bytes again, and must have read the same ones.
        let verified: BTreeMap<String, String> =
            paths.iter().zip(&entries).map(|(p, e)| (p.display().to_string(), e.sha.to_hex())).collect();
        let added = self.add_paths(&paths, &opts, &NoProgress)?;
        let mut created = Counts::default();
        let mut existing = Counts::default();
        let mut evidence = BTreeSet::new();
        for item in &added.items {
            match item {
                AddItem::Registered { path, sha256, evidence: ev, .. } => {
                    created.files += 1;
                    evidence.insert(*ev);
                    if let Some(want) = verified.get(path).filter(|w| *w != sha256) {
                        // The bag (input) changed under us, not the catalog.
                        return Err(Error::invalid(
                            "bag",
                            path.clone(),
                            format!(
                                "changed while importing (SHA-256 {sha256} registered, {want} verified against the \
                                 manifests): check the bag and import it again"
                            ),
                        ));
                    }
                }
                AddItem::AlreadyRegistered { .. } => existing.files += 1,
                other => report.skipped.push(skip_reason(other)),
            }
        }
        created.evidence = evidence.len();
        report.created = created;
        report.existing = existing;
        report.files = added.items;
        report.imported = true;
        if let Some(seq) = imported_before(self, &report.check.manifests)? {
            // This bag was recorded before: nothing to add unless some of its
            // files were registered only now.
            report.already_imported = created.files == 0;
            report.event = Some(seq);
            if created.files == 0 {
                return Ok(());
            }
        }
        let details = json!({
            "kind": KIND,
            "bag": report.check.bag.display().to_string(),
            "algorithms": report.check.algorithms,
            "manifests": report.check.manifests,
            "bag_info": info,
            "payload_files": report.check.payload_files,
            "payload_bytes": report.check.payload_bytes,
            "registered": created.files,
            "already_registered": existing.files,
            "not_registered": report.skipped.len(),
        });
        let seq = self.write(|w| w.append(Subject::Catalog, Action::Imported, None, details))?;
        report.event = Some(seq);
        Ok(())
    }
}

fn skip_reason(item: &AddItem) -> String {
    match item {
        AddItem::Skipped { path, reason } => format!("{path}: {reason}"),
        AddItem::Failed { path, error } => format!("{path}: {error}"),
        AddItem::Registered { path, .. } | AddItem::AlreadyRegistered { path, .. } => format!("{path}: registered"),
    }
}
