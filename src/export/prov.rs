//! W3C PROV-JSON (<https://www.w3.org/submissions/prov-json/>) of the selection.
//!
//! - entities: evidence items (`cat:E1`, the post or stream in the world), files
//!   (`cat:F1`, the bytes we hold), articles and claims;
//! - activities: one acquisition per file (`cat:acquisition-F1`: it used the
//!   evidence and generated the file) and one derivation per derived file;
//! - agents: catalog actors (who registered), the people who acquired, and the
//!   authors of the posts;
//! - relations: wasGeneratedBy, used, wasDerivedFrom (file from evidence, derived
//!   file from its source, claim from article as a quotation), wasAttributedTo
//!   (evidence to its author, file to who acquired it), wasAssociatedWith,
//!   wasInfluencedBy (claim by the evidence linked to it).
//!
//! Identifiers live in the namespace `cat` = `urn:evcat:<catalog id>:`;
//! evcat-specific attributes in `evcat` = `urn:evcat:vocab#`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{write_recorded, Described, FileExport, Scope, Selection};
use crate::catalog::log;
use crate::catalog::Catalog;
use crate::error::Result;

fn qn(v: &str) -> Value {
    json!({ "$": v, "type": "prov:QUALIFIED_NAME" })
}

/// A PROV identifier's local part from free text (a person's name, a handle).
fn local(prefix: &str, text: &str) -> String {
    let s: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    format!("cat:{prefix}-{s}")
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v.into());
    }
}

#[derive(Default)]
struct Doc {
    entity: Map<String, Value>,
    activity: Map<String, Value>,
    agent: Map<String, Value>,
    relations: BTreeMap<&'static str, Map<String, Value>>,
    n: usize,
}

impl Doc {
    fn rel(&mut self, kind: &'static str, body: Value) {
        self.n += 1;
        let id = format!("_:{kind}{}", self.n);
        self.relations.entry(kind).or_default().insert(id, body);
    }

    fn agent(&mut self, id: &str, label: &str, kind: &str) {
        self.agent.entry(id.to_string()).or_insert_with(|| json!({ "prov:type": qn(kind), "prov:label": label }));
    }
}

/// Where each field came from, as one PROV literal (`platform=sidecar; title=file`):
/// PROV-JSON attribute values are literals, not objects.
fn sources_text(sources: &std::collections::BTreeMap<String, crate::catalog::evidence::Source>) -> Option<String> {
    (!sources.is_empty()).then(|| sources.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
}

/// A record field's name as a PROV qualified-name local part (bag-info's
/// `Source-Organization` becomes `source_organization`).
fn prov_name(k: &str) -> String {
    k.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// The PROV-JSON document of a selection.
pub fn prov_document(cat: &Catalog, sel: &Selection) -> Result<Value> {
    let catalog_id = cat.meta("catalog_id")?.unwrap_or_default();
    let mut d = Doc::default();

    for e in sel.evidence.values() {
        let mut m = Map::new();
        m.insert("prov:type".into(), qn("evcat:Evidence"));
        m.insert("prov:label".into(), Value::String(e.title.clone().unwrap_or_else(|| e.id.to_string())));
        m.insert("evcat:kind".into(), Value::String(e.kind.to_string()));
        m.insert("evcat:status".into(), Value::String(e.status.to_string()));
        put(&mut m, "evcat:platform", e.platform.clone());
        put(&mut m, "evcat:source_url", e.source_url.clone());
        put(&mut m, "evcat:platform_id", e.platform_id.clone());
        put(&mut m, "evcat:posted_at", e.posted_at.clone());
        put(&mut m, "evcat:author_id", e.author_id.clone());
        put(&mut m, "evcat:sources", sources_text(&e.sources));
        d.entity.insert(format!("cat:{}", e.id), Value::Object(m));
        if let Some(h) = &e.author_handle {
            let agent = local("author", &format!("{}-{h}", e.platform.as_deref().unwrap_or("web")));
            d.agent(&agent, h, "prov:Agent");
            d.rel("wasAttributedTo", json!({ "prov:entity": format!("cat:{}", e.id), "prov:agent": agent }));
        }
    }

    for f in sel.files.values() {
        let fid = format!("cat:{}", f.id);
        let mut m = Map::new();
        m.insert("prov:type".into(), qn("evcat:File"));
        m.insert("prov:label".into(), Value::String(f.original_name.clone().unwrap_or_else(|| f.id.to_string())));
        m.insert("evcat:sha256".into(), Value::String(f.sha256.to_hex()));
        m.insert("evcat:size".into(), json!(f.size));
        m.insert("evcat:media_type".into(), Value::String(f.media_type.clone()));
        put(&mut m, "evcat:captured_at", f.captured_at.clone());
        put(&mut m, "evcat:duration_ms", f.duration_ms);
        d.entity.insert(fid.clone(), Value::Object(m));

        // Who registered it in the catalog: the actor of its first event.
        let registrar =
            log::for_subject(cat, crate::ids::Subject::File(f.id))?.into_iter().next().map(|e| e.event.actor);
        let actor_agent = registrar.as_ref().map(|a| local("actor", a));
        if let (Some(id), Some(name)) = (&actor_agent, &registrar) {
            d.agent(id, name, "prov:Person");
        }
        let acquirer = f.acquired_by.as_ref().map(|p| {
            let id = local("person", p);
            d.agent(&id, p, "prov:Person");
            id
        });

        let act = format!("cat:acquisition-{}", f.id);
        let mut a = Map::new();
        a.insert("prov:type".into(), qn("evcat:Acquisition"));
        a.insert("prov:label".into(), Value::String(format!("acquisition of {}", f.id)));
        a.insert("prov:startTime".into(), Value::String(f.acquired_at.clone()));
        put(&mut a, "evcat:method", f.method.clone());
        put(&mut a, "evcat:tool", f.tool.clone());
        // The tool's own record of the acquisition, field by field.
        if let Some(r) = &f.acquisition {
            a.insert("evcat:record_format".into(), Value::String(r.format.clone()));
            if let Some(file) = &r.record {
                a.insert("evcat:record_file".into(), Value::String(file.name.clone()));
                a.insert("evcat:record_sha256".into(), Value::String(file.sha256.clone()));
            }
            for (k, v) in &r.fields {
                a.insert(format!("evcat:record_{}", prov_name(k)), Value::String(v.clone()));
            }
        }
        put(&mut a, "evcat:sources", sources_text(&f.sources));
        d.activity.insert(act.clone(), Value::Object(a));
        d.rel("wasGeneratedBy", json!({ "prov:entity": fid, "prov:activity": act, "prov:time": f.acquired_at }));
        let ev = format!("cat:{}", f.evidence_id);
        d.rel("used", json!({ "prov:activity": act, "prov:entity": ev }));
        d.rel(
            "wasDerivedFrom",
            json!({ "prov:generatedEntity": fid, "prov:usedEntity": ev, "prov:activity": act,
                    "prov:type": qn("evcat:CopyOf") }),
        );
        for agent in [acquirer.clone(), actor_agent.clone()].into_iter().flatten() {
            d.rel("wasAssociatedWith", json!({ "prov:activity": act, "prov:agent": agent }));
        }
        if let Some(agent) = acquirer.or(actor_agent) {
            d.rel("wasAttributedTo", json!({ "prov:entity": fid, "prov:agent": agent }));
        }
        if let Some(parent) = f.derived_from {
            let dact = format!("cat:derivation-{}", f.id);
            d.activity.insert(
                dact.clone(),
                json!({ "prov:type": qn("evcat:Derivation"), "prov:label": format!("derivation of {} from {parent}", f.id) }),
            );
            let pid = format!("cat:{parent}");
            d.rel("used", json!({ "prov:activity": dact, "prov:entity": pid }));
            d.rel("wasGeneratedBy", json!({ "prov:entity": fid, "prov:activity": dact }));
            d.rel(
                "wasDerivedFrom",
                json!({ "prov:generatedEntity": fid, "prov:usedEntity": pid, "prov:activity": dact }),
            );
        }
    }

    for a in sel.articles.values() {
        let mut m = Map::new();
        m.insert("prov:type".into(), qn("evcat:Article"));
        m.insert("prov:label".into(), Value::String(a.title.clone().unwrap_or_else(|| a.id.to_string())));
        put(&mut m, "evcat:publisher", a.publisher.clone());
        put(&mut m, "evcat:url", a.url.clone());
        put(&mut m, "evcat:published_at", a.published_at.clone());
        m.insert("evcat:body_sha256".into(), Value::String(a.body_sha256.clone()));
        d.entity.insert(format!("cat:{}", a.id), Value::Object(m));
    }
    for c in sel.claims.values() {
        let cid = format!("cat:{}", c.id);
        d.entity.insert(
            cid.clone(),
            json!({ "prov:type": qn("evcat:Claim"), "prov:label": c.text, "evcat:status": c.status.to_string() }),
        );
        if let Some(a) = c.article_id {
            d.rel(
                "wasDerivedFrom",
                json!({ "prov:generatedEntity": cid, "prov:usedEntity": format!("cat:{a}"), "prov:type": qn("prov:Quotation") }),
            );
        }
    }
    for l in sel.links.values() {
        d.rel(
            "wasInfluencedBy",
            json!({ "prov:influencee": format!("cat:{}", l.claim_id), "prov:influencer": format!("cat:{}", l.evidence_id),
                    "evcat:relation": l.relation.to_string() }),
        );
    }

    let mut doc = Map::new();
    doc.insert("prefix".into(), json!({ "cat": format!("urn:evcat:{catalog_id}:"), "evcat": "urn:evcat:vocab#" }));
    doc.insert("entity".into(), Value::Object(d.entity));
    doc.insert("activity".into(), Value::Object(d.activity));
    doc.insert("agent".into(), Value::Object(d.agent));
    for (k, v) in d.relations {
        doc.insert(k.into(), Value::Object(v));
    }
    Ok(Value::Object(doc))
}

impl Catalog {
    /// `export prov OUT.json`.
    pub fn export_prov(&mut self, out: &Path, scope: Scope, force: bool) -> Result<FileExport> {
        let sel = Selection::build(self, scope)?;
        let doc = prov_document(self, &sel)?;
        let bytes = serde_json::to_vec_pretty(&doc)
            .map_err(|e| crate::Error::Json { context: "PROV document".into(), source: e })?;
        let what = Described {
            format: "prov",
            scope: scope.to_string(),
            counts: sel.counts(),
            records: sel.record_ids(),
            warnings: Vec::new(),
        };
        write_recorded(self, out, force, what, &bytes)
    }
}
