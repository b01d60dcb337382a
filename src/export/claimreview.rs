//! schema.org ClaimReview-style JSON-LD: one `ClaimReview` per claim, the
//! claim's article as its `appearance`, and the evidence linked to it as
//! `isBasedOn` media objects (with their files' SHA-256, size and format).
//!
//! The rating is evcat's review state of the claim (detected, asserted,
//! confirmed, rejected) and how much acquired evidence supports it; evcat does
//! not rate truth, so no numeric `ratingValue` is invented.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{write_recorded, Described, FileExport, Scope, Selection};
use crate::catalog::evidence::{EvidenceKind, EvidenceStatus};
use crate::catalog::links::Relation;
use crate::catalog::Catalog;
use crate::error::Result;

fn put(m: &mut Map<String, Value>, k: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v.into());
    }
}

/// ISO 8601 duration of milliseconds, e.g. `PT12.345S`.
fn iso_duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("PT{}S", ms / 1000)
    } else {
        format!("PT{}.{:03}S", ms / 1000, ms % 1000)
    }
}

/// The JSON-LD document of the selection's claims.
pub fn claimreview_document(cat: &Catalog, sel: &Selection) -> Result<Value> {
    let catalog_id = cat.meta("catalog_id")?.unwrap_or_default();
    let urn = |id: &str| format!("urn:evcat:{catalog_id}:{id}");
    let mut graph = Vec::new();
    for c in sel.claims.values() {
        let mut review = Map::new();
        review.insert("@type".into(), json!("ClaimReview"));
        review.insert("@id".into(), json!(urn(&format!("{}-review", c.id))));
        review.insert("identifier".into(), json!(c.id.to_string()));
        review.insert("claimReviewed".into(), json!(c.text));
        review.insert("dateCreated".into(), json!(c.created_at));

        let mut claim = Map::new();
        claim.insert("@type".into(), json!("Claim"));
        claim.insert("@id".into(), json!(urn(&c.id.to_string())));
        claim.insert("text".into(), json!(c.text));
        if let Some(a) = c.article_id.and_then(|a| sel.articles.get(&a.0)) {
            let mut art = Map::new();
            art.insert("@type".into(), json!("NewsArticle"));
            art.insert("@id".into(), json!(urn(&a.id.to_string())));
            art.insert("identifier".into(), json!(a.id.to_string()));
            put(&mut art, "headline", a.title.clone());
            put(&mut art, "url", a.url.clone());
            put(&mut art, "datePublished", a.published_at.clone());
            if let Some(p) = &a.publisher {
                art.insert("publisher".into(), json!({ "@type": "Organization", "name": p }));
                review.insert("author".into(), json!({ "@type": "Organization", "name": p }));
            }
            if let Some(au) = &a.author {
                art.insert("author".into(), json!({ "@type": "Person", "name": au }));
            }
            claim.insert("appearance".into(), Value::Object(art));
        }
        review.insert("itemReviewed".into(), Value::Object(claim));

        let mut based_on = Vec::new();
        let mut supporting = 0;
        for l in sel.links.values().filter(|l| l.claim_id == c.id) {
            let Some(e) = sel.evidence.get(&l.evidence_id.0) else { continue };
            if e.status == EvidenceStatus::Acquired && l.relation != Relation::Contradicts {
                supporting += 1;
            }
            let mut m = Map::new();
            let t = match e.kind {
                EvidenceKind::Video => "VideoObject",
                EvidenceKind::Image => "ImageObject",
                EvidenceKind::Audio => "AudioObject",
                EvidenceKind::Web => "SocialMediaPosting",
                EvidenceKind::Document | EvidenceKind::Other => "MediaObject",
            };
            m.insert("@type".into(), json!(t));
            m.insert("@id".into(), json!(urn(&e.id.to_string())));
            m.insert("identifier".into(), json!(e.id.to_string()));
            put(&mut m, "name", e.title.clone());
            put(&mut m, "description", e.description.clone());
            put(&mut m, "url", e.source_url.clone());
            put(&mut m, "uploadDate", e.posted_at.clone());
            if let Some(h) = &e.author_handle {
                m.insert("author".into(), json!({ "@type": "Person", "alternateName": h }));
            }
            let mut props = vec![
                json!({ "@type": "PropertyValue", "name": "relation", "value": l.relation.to_string() }),
                json!({ "@type": "PropertyValue", "name": "status", "value": e.status.to_string() }),
            ];
            if let Some(r) = l.range {
                props.push(json!({ "@type": "PropertyValue", "name": "timeRange", "value": r.to_string(),
                                   "minValue": r.start_ms, "maxValue": r.end_ms, "unitCode": "C26" }));
            }
            if let Some(r) = l.region {
                props.push(json!({ "@type": "PropertyValue", "name": "region",
                                   "value": format!("{},{},{},{}", r.x, r.y, r.w, r.h) }));
            }
            m.insert("additionalProperty".into(), Value::Array(props));
            let media: Vec<Value> = sel
                .files
                .values()
                .filter(|f| f.evidence_id == e.id)
                .map(|f| {
                    let mut fm = Map::new();
                    fm.insert("@type".into(), json!("MediaObject"));
                    fm.insert("@id".into(), json!(urn(&f.id.to_string())));
                    fm.insert("identifier".into(), json!(f.id.to_string()));
                    fm.insert("sha256".into(), json!(f.sha256));
                    fm.insert("contentSize".into(), json!(format!("{} B", f.size)));
                    fm.insert("encodingFormat".into(), json!(f.media_type));
                    put(&mut fm, "name", f.original_name.clone());
                    put(&mut fm, "width", f.width);
                    put(&mut fm, "height", f.height);
                    put(&mut fm, "duration", f.duration_ms.map(iso_duration));
                    Value::Object(fm)
                })
                .collect();
            if !media.is_empty() {
                m.insert("associatedMedia".into(), Value::Array(media));
            }
            based_on.push(Value::Object(m));
        }
        review.insert(
            "reviewRating".into(),
            json!({
                "@type": "Rating",
                "alternateName": c.status.to_string(),
                "ratingExplanation": format!(
                    "evcat review state: {}; {} linked evidence item(s), {} acquired and not contradicting",
                    c.status, based_on.len(), supporting
                ),
            }),
        );
        review.insert("isBasedOn".into(), Value::Array(based_on));
        graph.push(Value::Object(review));
    }
    Ok(json!({ "@context": "https://schema.org", "@graph": graph }))
}

impl Catalog {
    /// `export claimreview OUT.jsonld`.
    pub fn export_claimreview(&mut self, out: &Path, scope: Scope, force: bool) -> Result<FileExport> {
        let sel = Selection::build(self, scope)?;
        let doc = claimreview_document(self, &sel)?;
        let bytes = serde_json::to_vec_pretty(&doc)
            .map_err(|e| crate::Error::Json { context: "ClaimReview document".into(), source: e })?;
        let what = Described {
            format: "claimreview",
            scope: scope.to_string(),
            counts: sel.counts(),
            records: sel.record_ids(),
            warnings: Vec::new(),
        };
        write_recorded(self, out, force, what, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(iso_duration(12_000), "PT12S");
        assert_eq!(iso_duration(1_500), "PT1.500S");
    }
}
