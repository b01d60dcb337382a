//! The transaction side of `add`: one prepared file, with its sidecar,
//! becomes rows and custody events.

use super::{display, AddItem, AddOptions, Prepared};
use crate::acquire::{attach, wacz};
use crate::catalog::evidence::{self, EvidenceKind, EvidenceStatus, Provenance, ProvenanceField, Source};
use crate::catalog::files::{self, Acquisition, AcquisitionRecord, RecordFile};
use crate::error::Result;
use crate::ids::{EvidenceId, FileId};

/// Record one prepared file (and its sidecar) in the batch transaction.
pub(super) fn record_one(w: &mut crate::catalog::Writer<'_>, p: Prepared, opts: &AddOptions) -> Result<Vec<AddItem>> {
    let sha_hex = p.placement.sha256.to_hex();
    if let Some(existing) = files::by_sha_in(&w.tx, &p.placement.sha256)? {
        let mut items = vec![AddItem::AlreadyRegistered {
            path: display(&p.path),
            file: existing.id,
            evidence: existing.evidence_id,
            sha256: sha_hex,
        }];
        // `add --extract-media` of a WACZ registered without it: the media
        // not yet held joins the WACZ's evidence item now.
        if let Some(pc) = p.capture {
            let acq = capture_acquisition(opts.acquisition.clone(), &pc.capture);
            let record = RecordFile {
                name: p.placement.original_name.clone().unwrap_or_default(),
                sha256: p.placement.sha256.to_hex(),
            };
            for (i, payload) in pc.extracted {
                let Some(m) = pc.capture.media.get(i) else { continue };
                items.push(record_extracted(w, payload, m, existing.id, existing.evidence_id, &acq, &record)?);
            }
        }
        return Ok(items);
    }
    let sidecar = p.sidecar.as_ref();
    let capture = p.capture.as_ref().map(|c| &c.capture);
    let (mut prov, mut overrides) = match sidecar {
        Some(s) => attach::provenance(&opts.provenance, &s.facts),
        None => (opts.provenance.clone(), Vec::new()),
    };
    if let Some(c) = capture {
        // What the capture says of itself fills what the person left empty.
        let taken = prov.fill_from(&capture_provenance(c));
        overrides.extend(taken.into_iter().map(|f| (f, Source::File)));
    }
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
            let kind = if capture.is_some() { EvidenceKind::Web } else { EvidenceKind::from(p.facts.kind) };
            evidence::create(
                w,
                kind,
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
    let acquisition = match capture {
        Some(c) => capture_acquisition(acquisition, c),
        None => acquisition,
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
        extracted_from: None,
        capture: None,
    }];
    if let Some(sc_file) = p.sidecar.and_then(|s| s.file) {
        items.extend(record_sidecar(w, *sc_file, file, evidence_id, &acquisition)?);
    }
    if let Some(pc) = p.capture {
        let wacz_record = RecordFile {
            name: p.placement.original_name.clone().unwrap_or_default(),
            sha256: p.placement.sha256.to_hex(),
        };
        let super::PreparedCapture { capture, extracted } = *pc;
        for (i, payload) in extracted {
            let Some(m) = capture.media.get(i) else { continue };
            items.push(record_extracted(w, payload, m, file, evidence_id, &acquisition, &wacz_record)?);
        }
        if let Some(AddItem::Registered { capture: slot, .. }) = items.first_mut() {
            *slot = Some(Box::new(capture));
        }
    }
    Ok(items)
}

/// The provenance a WACZ gives of itself: its first page (the seed).
fn capture_provenance(c: &wacz::Capture) -> Provenance {
    let page = c.pages.first();
    let url = page.map(|p| p.url.clone());
    Provenance {
        title: page.and_then(|p| p.title.clone()).or_else(|| c.title.clone()),
        platform: url.as_deref().and_then(crate::acquire::sidecar::platform_of_url),
        source_url: url,
        ..Provenance::default()
    }
}

/// Most archived media records listed in a WACZ's acquisition record.
const MAX_LISTED_MEDIA: usize = 1000;

/// The WACZ file's acquisition: the person's values, then the capture's
/// (capture time, `web capture`, the crawler; source `file`), and a record
/// of what the package check found and what the WARCs hold.
fn capture_acquisition(mut acq: Acquisition, c: &wacz::Capture) -> Acquisition {
    let ts = c.pages.first().and_then(|p| p.ts.clone()).or_else(|| c.created.clone());
    let ts = ts.map(|t| crate::timefmt::normalize_timestamp("capture time", &t).unwrap_or(t));
    let theirs = [
        ("acquired_at", &mut acq.acquired_at, ts),
        ("method", &mut acq.method, Some("web capture".to_string())),
        ("tool", &mut acq.tool, c.software.clone()),
    ];
    for (field, mine, value) in theirs {
        if mine.is_none() && value.is_some() {
            *mine = value;
            acq.sources.insert(field.to_string(), Source::File);
        }
    }
    let mut fields = std::collections::BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            fields.insert(k.to_string(), v);
        }
    };
    put("wacz_version", c.wacz_version.clone());
    put("software", c.software.clone());
    put("created", c.created.clone());
    put("title", c.title.clone());
    let pk = &c.package;
    put(
        "package_check",
        Some(if pk.is_sound() {
            format!("verified ({} of {} resources)", pk.verified, pk.resources)
        } else {
            format!("{} of {} resources verified; {}", pk.verified, pk.resources, pk.problems.join("; "))
        }),
    );
    put("datapackage_digest", Some(pk.digest.to_string()));
    if pk.signed {
        put("signed", Some("signedData present; signature not verified by evcat".into()));
    }
    put("pages", Some((c.pages.len() as u64 + c.pages_not_listed).to_string()));
    for (i, p) in c.pages.iter().take(20).enumerate() {
        put(&format!("page.{}", i + 1), Some(format!("{} {}", p.ts.as_deref().unwrap_or("-"), p.url)));
    }
    put("warc_records", Some(c.records.to_string()));
    put("media_records", Some(c.media.len().to_string()));
    for (i, m) in c.media.iter().take(MAX_LISTED_MEDIA).enumerate() {
        put(
            &format!("media.{:04}", i + 1),
            Some(format!(
                "{} {} {} bytes sha256:{} {} {}",
                m.warc_date,
                m.media_type,
                m.size,
                m.sha256,
                if m.partial { "partial" } else { "complete" },
                m.target_uri
            )),
        );
    }
    acq.record = Some(AcquisitionRecord {
        format: "wacz".into(),
        record: Some(RecordFile { name: "datapackage.json".into(), sha256: c.datapackage_sha256.clone() }),
        fields,
    });
    acq
}

/// Register a payload extracted from a WACZ as a file of the WACZ's evidence
/// item, derived from it (`how: extracted`), acquired when the WARC says it
/// was. Bytes already held are reported as such: that is the re-upload answer.
fn record_extracted(
    w: &mut crate::catalog::Writer<'_>,
    payload: super::Prepared,
    m: &wacz::ArchivedMedia,
    wacz_file: FileId,
    evidence_id: EvidenceId,
    wacz_acq: &Acquisition,
    wacz_record: &RecordFile,
) -> Result<AddItem> {
    let path = format!("{}#{}", display(&payload.path), m.target_uri);
    let sha256 = payload.placement.sha256.to_hex();
    if let Some(existing) = files::by_sha_in(&w.tx, &payload.placement.sha256)? {
        return Ok(AddItem::AlreadyRegistered { path, file: existing.id, evidence: existing.evidence_id, sha256 });
    }
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("warc".to_string(), m.warc.clone());
    fields.insert("warc_record_id".to_string(), m.record_id.clone());
    fields.insert("warc_record_type".to_string(), m.record_type.to_string());
    fields.insert("warc_target_uri".to_string(), m.target_uri.clone());
    fields.insert("warc_date".to_string(), m.warc_date.clone());
    fields.insert("content_type".to_string(), m.media_type.clone());
    if let Some(s) = m.status {
        fields.insert("http_status".to_string(), s.to_string());
    }
    if let Some(d) = &m.payload_digest {
        fields.insert("warc_payload_digest".to_string(), d.clone());
    }
    fields.insert("payload_digest_check".to_string(), m.payload_digest_check.clone());
    if let Some(t) = &m.truncated {
        fields.insert("warc_truncated".to_string(), t.clone());
    }
    let mut sources = wacz_acq.sources.clone();
    sources.insert("acquired_at".into(), Source::File);
    let acq = Acquisition {
        acquired_at: Some(m.warc_date.clone()),
        note: None,
        sources,
        record: Some(AcquisitionRecord { format: "warc record".into(), record: Some(wacz_record.clone()), fields }),
        ..wacz_acq.clone()
    };
    let mut facts = payload.facts.clone();
    if m.payload_digest_check == "mismatch" {
        facts.warnings.push(format!(
            "WARC-Payload-Digest {} does not match the payload",
            m.payload_digest.as_deref().unwrap_or("")
        ));
    }
    let id = files::register(w, evidence_id, &payload.placement, &facts, &acq)?;
    crate::catalog::lineage::derive_in(w, id, wacz_file, "extracted")?;
    Ok(AddItem::Registered {
        path,
        file: id,
        evidence: evidence_id,
        sha256,
        size: payload.placement.size,
        media_type: facts.media_type.clone(),
        warnings: facts.warnings.clone(),
        sidecar: None,
        sidecar_of: None,
        new_capture: false,
        extracted_from: Some(wacz_file),
        capture: None,
    })
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
        extracted_from: None,
        capture: None,
    }))
}
