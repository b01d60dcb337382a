//! The transaction side of `add`: one prepared file, with its sidecar,
//! becomes rows and custody events.

use super::{display, AddItem, AddOptions, Prepared};
use crate::acquire::attach;
use crate::catalog::evidence::{self, EvidenceKind, EvidenceStatus, ProvenanceField, Source};
use crate::catalog::files::{self, Acquisition};
use crate::error::Result;
use crate::ids::{EvidenceId, FileId};

/// Record one prepared file (and its sidecar) in the batch transaction.
pub(super) fn record_one(w: &mut crate::catalog::Writer<'_>, p: Prepared, opts: &AddOptions) -> Result<Vec<AddItem>> {
    let sha_hex = p.placement.sha256.to_hex();
    if let Some(existing) = files::by_sha_in(&w.tx, &p.placement.sha256)? {
        return Ok(vec![AddItem::AlreadyRegistered {
            path: display(&p.path),
            file: existing.id,
            evidence: existing.evidence_id,
            sha256: sha_hex,
        }]);
    }
    let sidecar = p.sidecar.as_ref();
    let (mut prov, mut overrides) = match sidecar {
        Some(s) => attach::provenance(&opts.provenance, &s.facts),
        None => (opts.provenance.clone(), Vec::new()),
    };
    // A second download of a post joins its evidence item as a new capture.
    let existing = match (opts.evidence, sidecar) {
        (Some(e), _) => Some(e),
        (None, Some(_)) => evidence::by_post_in(&w.tx, &prov)?,
        (None, None) => None,
    };
    let new_capture = opts.evidence.is_none() && existing.is_some();
    let evidence_id = match existing {
        Some(e) => e,
        None => {
            if prov.title.is_none() {
                // A title taken from the file's name is not a person's assertion.
                prov.title = p.placement.original_name.clone();
                overrides.push((ProvenanceField::Title, Source::File));
            }
            evidence::create(
                w,
                EvidenceKind::from(p.facts.kind),
                EvidenceStatus::Acquired,
                &prov,
                opts.provenance_source.unwrap_or(Source::User),
                &overrides,
                serde_json::json!({ "file_sha256": sha_hex }),
            )?
        }
    };
    let mut warnings = p.facts.warnings.clone();
    let acquisition = match sidecar {
        Some(s) => {
            let (acq, w) = attach::acquisition(&opts.acquisition, &s.facts, s.record.clone(), &sha_hex);
            warnings.extend(w);
            acq
        }
        None => opts.acquisition.clone(),
    };
    let mut facts = p.facts.clone();
    facts.warnings = warnings.clone();
    let file = files::register(w, evidence_id, &p.placement, &facts, &acquisition)?;
    if existing.is_some() {
        evidence::mark_acquired(w, evidence_id, &sha_hex)?;
    }
    let mut items = vec![AddItem::Registered {
        path: display(&p.path),
        file,
        evidence: evidence_id,
        sha256: sha_hex,
        size: p.placement.size,
        media_type: p.facts.media_type.clone(),
        warnings,
        sidecar: sidecar.map(|s| s.label),
        sidecar_of: None,
        new_capture,
    }];
    if let Some(sc_file) = p.sidecar.and_then(|s| s.file) {
        items.extend(record_sidecar(w, *sc_file, file, evidence_id, &acquisition)?);
    }
    Ok(items)
}

/// Register a sidecar's bytes as a file of the media file's evidence item,
/// derived from the media file (`how: sidecar`). Bytes already held (one
/// auto-archiver `metadata.json` serves several files) are not registered twice.
fn record_sidecar(
    w: &mut crate::catalog::Writer<'_>,
    sc: Prepared,
    media: FileId,
    evidence_id: EvidenceId,
    media_acq: &Acquisition,
) -> Result<Option<AddItem>> {
    if files::by_sha_in(&w.tx, &sc.placement.sha256)?.is_some() {
        return Ok(None);
    }
    let acq = Acquisition { record: None, note: None, ..media_acq.clone() };
    let id = files::register(w, evidence_id, &sc.placement, &sc.facts, &acq)?;
    crate::catalog::lineage::derive_in(w, id, media, "sidecar")?;
    Ok(Some(AddItem::Registered {
        path: display(&sc.path),
        file: id,
        evidence: evidence_id,
        sha256: sc.placement.sha256.to_hex(),
        size: sc.placement.size,
        media_type: sc.facts.media_type.clone(),
        warnings: sc.facts.warnings.clone(),
        sidecar: None,
        sidecar_of: Some(media),
        new_capture: false,
    }))
}
