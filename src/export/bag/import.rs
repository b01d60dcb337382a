//! `evcat import bag`: verify, then plan -> stage -> apply.
//!
//! - **plan** ([`plan`]): which records of the bag are already here
//!   (mapped by an earlier import from the same source catalog, or found by
//!   content: files by SHA-256, articles by body hash, claims by span, links
//!   by their fields) and which are new. Pure, given a [`Local`] view of
//!   this catalog, so it is unit-tested on small in-memory bags.
//! - **stage**: the bytes of new files and articles into the object store,
//!   hash-checked against their rows again, before any row is written.
//! - **apply**: one transaction inserts the new rows, parents first, with
//!   ids renumbered, each logged as `imported` with its origin, then one
//!   `imported` event for the whole bag with the full id mapping.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

use super::verify::{self, Sound, Verified};
use super::{BagImport, BagRecord, Metadata};
use crate::catalog::files::Storage;
use crate::catalog::snapshot;
use crate::catalog::{log, Catalog, Writer};
use crate::custody::{Action, Row};
use crate::error::{Error, Result};
use crate::export::Counts;
use crate::hash::Sha256;
use crate::ids::{ArticleId, ClaimId, EvidenceId, RecordKind, Subject};
use crate::store::Staged;

/// Source record -> record in this catalog.
type Mapping = BTreeMap<Subject, Subject>;

/// What the planner needs to know about this catalog.
pub(super) trait Local {
    /// Does the record exist here? (Asked only when the bag comes from this
    /// very catalog, whose ids are then the same.)
    fn exists(&self, s: Subject) -> Result<bool>;
    fn article_with_body(&self, body_sha256: &str) -> Option<Subject>;
    /// The file holding these bytes and its evidence item.
    fn file_with_sha(&self, sha: &Sha256) -> Result<Option<(Subject, Subject)>>;
    fn claim_at(&self, article: ArticleId, start: Option<i64>, end: Option<i64>) -> Option<Subject>;
    fn standalone_claim(&self, text: &str) -> Option<Subject>;
    /// A link of `claim` to `evidence` equal to `row` in relation, time
    /// range and region.
    fn same_link(&self, claim: ClaimId, evidence: EvidenceId, row: &Row) -> Result<Option<Subject>>;
}

/// The import, decided before anything is written.
#[derive(Debug, Default)]
pub(super) struct Plan<'m> {
    /// Records already here (including those mapped by earlier imports).
    pub map: Mapping,
    pub existing: Counts,
    pub skipped: Vec<String>,
    pub articles: Vec<&'m BagRecord>,
    pub evidence: Vec<&'m BagRecord>,
    pub files: Vec<&'m BagRecord>,
    pub claims: Vec<&'m BagRecord>,
    pub links: Vec<&'m BagRecord>,
}

impl Plan<'_> {
    #[cfg(test)]
    pub(super) fn is_empty_for_test(&self) -> bool {
        self.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.articles.is_empty()
            && self.evidence.is_empty()
            && self.files.is_empty()
            && self.claims.is_empty()
            && self.links.is_empty()
    }
}

/// Decide what is new. `prior`: the mappings of earlier imports from the
/// same source catalog; `same_catalog`: the bag came from this catalog.
pub(super) fn plan<'m>(md: &'m Metadata, prior: Mapping, same_catalog: bool, local: &impl Local) -> Result<Plan<'m>> {
    let mut p = Plan { map: prior, ..Plan::default() };
    let known = |p: &mut Plan<'_>, id: Subject| -> Result<bool> {
        if p.map.contains_key(&id) {
            return Ok(true);
        }
        if same_catalog && local.exists(id)? {
            p.map.insert(id, id);
            return Ok(true);
        }
        Ok(false)
    };
    for rec in &md.articles {
        if known(&mut p, rec.id)? {
            p.existing.articles += 1;
        } else if let Some(a) = rec.text("body_sha256").and_then(|b| local.article_with_body(b)) {
            p.map.insert(rec.id, a);
            p.existing.articles += 1;
        } else {
            p.articles.push(rec);
        }
    }
    // Files before evidence, so evidence can be matched through bytes already here.
    for rec in &md.files {
        if known(&mut p, rec.id)? {
            p.existing.files += 1;
            continue;
        }
        let sha = rec.text("sha256").and_then(|s| s.parse::<Sha256>().ok());
        match sha.map(|s| local.file_with_sha(&s)).transpose()?.flatten() {
            Some((file, evidence)) => {
                p.map.insert(rec.id, file);
                if let Some(e) = rec.refers_to("evidence_id", RecordKind::Evidence) {
                    p.map.entry(e).or_insert(evidence);
                }
                p.existing.files += 1;
            }
            None if rec.path.is_some() => p.files.push(rec),
            None => p.skipped.push(format!("{}: its bytes are not in the bag", rec.id)),
        }
    }
    for rec in &md.evidence {
        if known(&mut p, rec.id)? {
            p.existing.evidence += 1;
        } else {
            p.evidence.push(rec);
        }
    }
    for rec in &md.claims {
        if known(&mut p, rec.id)? {
            p.existing.claims += 1;
            continue;
        }
        let span = |k: &str| rec.row.get(k).and_then(Value::as_i64);
        let same = match rec.refers_to("article_id", RecordKind::Article) {
            Some(a) => match p.map.get(&a) {
                Some(Subject::Article(local_a)) => local.claim_at(*local_a, span("start_byte"), span("end_byte")),
                _ => None,
            },
            None => local.standalone_claim(rec.text("text").unwrap_or_default()),
        };
        match same {
            Some(c) => {
                p.map.insert(rec.id, c);
                p.existing.claims += 1;
            }
            None => p.claims.push(rec),
        }
    }
    for rec in &md.links {
        if known(&mut p, rec.id)? {
            p.existing.links += 1;
            continue;
        }
        let claim = rec.refers_to("claim_id", RecordKind::Claim).and_then(|c| p.map.get(&c).copied());
        let evidence = rec.refers_to("evidence_id", RecordKind::Evidence).and_then(|e| p.map.get(&e).copied());
        let same = match (claim, evidence) {
            (Some(Subject::Claim(c)), Some(Subject::Evidence(e))) => local.same_link(c, e, &rec.row)?,
            _ => None,
        };
        match same {
            Some(l) => {
                p.map.insert(rec.id, l);
                p.existing.links += 1;
            }
            None => p.links.push(rec),
        }
    }
    Ok(p)
}

/// [`Local`] over a real catalog.
struct CatalogView<'c> {
    cat: &'c Catalog,
    articles: HashMap<String, Subject>,
    anchored: HashMap<(ArticleId, Option<i64>, Option<i64>), Subject>,
    standalone: HashMap<String, Subject>,
}

impl<'c> CatalogView<'c> {
    fn new(cat: &'c Catalog) -> Result<Self> {
        let articles =
            cat.list_articles(None, None)?.into_iter().map(|a| (a.body_sha256, Subject::Article(a.id))).collect();
        let mut anchored = HashMap::new();
        let mut standalone = HashMap::new();
        for c in cat.list_claims(&crate::catalog::claims::ClaimFilter::default())? {
            match c.article_id {
                Some(a) => {
                    let key = (a, c.start_byte.map(|v| v as i64), c.end_byte.map(|v| v as i64));
                    anchored.entry(key).or_insert(Subject::Claim(c.id));
                }
                None => {
                    standalone.entry(c.text.clone()).or_insert(Subject::Claim(c.id));
                }
            }
        }
        Ok(CatalogView { cat, articles, anchored, standalone })
    }
}

impl Local for CatalogView<'_> {
    fn exists(&self, s: Subject) -> Result<bool> {
        let (Some(kind), Some(id)) = (s.kind(), s.id()) else { return Ok(false) };
        Ok(snapshot::row_of(self.cat.conn(), kind, id)?.is_some())
    }

    fn article_with_body(&self, body_sha256: &str) -> Option<Subject> {
        self.articles.get(body_sha256).copied()
    }

    fn file_with_sha(&self, sha: &Sha256) -> Result<Option<(Subject, Subject)>> {
        Ok(self.cat.file_by_sha(sha)?.map(|f| (Subject::File(f.id), Subject::Evidence(f.evidence_id))))
    }

    fn claim_at(&self, article: ArticleId, start: Option<i64>, end: Option<i64>) -> Option<Subject> {
        self.anchored.get(&(article, start, end)).copied()
    }

    fn standalone_claim(&self, text: &str) -> Option<Subject> {
        self.standalone.get(text).copied()
    }

    fn same_link(&self, claim: ClaimId, evidence: EvidenceId, row: &Row) -> Result<Option<Subject>> {
        const SAME: [&str; 7] = ["relation", "start_ms", "end_ms", "region_x", "region_y", "region_w", "region_h"];
        for l in self.cat.links_of_claim(claim)? {
            if l.evidence_id != evidence {
                continue;
            }
            let Some(local) = snapshot::row_of(self.cat.conn(), RecordKind::Link, l.id.0)? else { continue };
            if SAME.iter().all(|k| local.get(*k).unwrap_or(&Value::Null) == row.get(*k).unwrap_or(&Value::Null)) {
                return Ok(Some(Subject::Link(l.id)));
            }
        }
        Ok(None)
    }
}

/// The source's records as mapped by this catalog's earlier imports of bags
/// from `source`.
fn prior_mapping(cat: &Catalog, source: &str) -> Result<Mapping> {
    let mut map = Mapping::new();
    for e in log::catalog_events_with_action(cat, &Action::Imported)? {
        let ev = &e.event;
        if ev.detail_str("kind") != Some("bag") || ev.detail_str("source_catalog") != Some(source) {
            continue;
        }
        for (k, v) in ev.details.get("mapping").and_then(Value::as_object).into_iter().flatten() {
            if let (Ok(k), Some(Ok(v))) = (k.parse::<Subject>(), v.as_str().map(str::parse::<Subject>)) {
                map.insert(k, v);
            }
        }
    }
    Ok(map)
}

impl Catalog {
    /// Verify a bag; if it is sound, merge its records into this catalog.
    pub fn import_bag(&mut self, dir: &std::path::Path) -> Result<BagImport> {
        self.import_bag_trusting(dir, None)
    }

    /// [`Catalog::import_bag`], with the bag's RFC 3161 tokens checked
    /// against `trust` (and the import refused if one fails).
    pub fn import_bag_trusting(
        &mut self,
        dir: &std::path::Path,
        trust: Option<&crate::timestamp::TsaTrust>,
    ) -> Result<BagImport> {
        let (check, verified) = verify::verify(dir, trust)?;
        let mut report = BagImport {
            check,
            imported: false,
            already_imported: false,
            created: Counts::default(),
            existing: Counts::default(),
            skipped: Vec::new(),
            mapping: Mapping::new(),
            event: None,
            files: Vec::new(),
        };
        let bag = match verified {
            None => return Ok(report),
            Some(Sound::Foreign(f)) => {
                self.import_foreign_bag(f, &mut report)?;
                return Ok(report);
            }
            Some(Sound::Evcat(bag)) => *bag,
        };
        let md = &bag.log.metadata;
        let source = report.check.source_catalog.clone().unwrap_or_default();
        let same_catalog = self.meta("catalog_id")?.as_deref() == Some(source.as_str());
        let prior = prior_mapping(self, &source)?;
        let plan = plan(md, prior, same_catalog, &CatalogView::new(self)?)?;
        report.existing = plan.existing;
        report.skipped = plan.skipped.clone();
        if plan.is_empty() {
            report.imported = true;
            report.already_imported = true;
            report.mapping = plan.map;
            return Ok(report);
        }
        let staged = self.stage_bag_bytes(&bag, &plan)?;
        let origin = Origin {
            source: &source,
            head: report.check.head.as_deref().unwrap_or_default(),
            bag: report.check.external_identifier.as_deref(),
        };
        match self.write(|w| apply(w, md, &plan, &origin)) {
            Ok((created, mapping, seq)) => {
                for st in &staged {
                    self.store().publish(st)?;
                }
                report.imported = true;
                report.created = created;
                report.mapping = mapping;
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

    /// Stage the bytes of the new files and articles, each hash-checked
    /// against its row; nothing stays staged if one fails.
    pub(super) fn stage_bag_bytes(&self, bag: &Verified, plan: &Plan<'_>) -> Result<Vec<Staged>> {
        let wanted = plan
            .files
            .iter()
            .map(|r| (*r, "sha256"))
            .chain(plan.articles.iter().map(|r| (*r, "source_sha256")))
            .filter_map(|(r, col)| Some((r, r.path.as_deref()?, r.text(col)?)));
        let mut staged: Vec<Staged> = Vec::new();
        for (rec, rel, want) in wanted {
            let p = bag.root.join(rel);
            let st = match self.store().stage_file(&p) {
                Ok(st) if st.sha256.to_hex() == want => st,
                other => {
                    let err = match other {
                        Ok(st) => {
                            self.store().discard(&st);
                            Error::Corrupt(format!(
                                "{}: {} changed while importing (SHA-256 {} instead of {want})",
                                rec.id,
                                p.display(),
                                st.sha256
                            ))
                        }
                        Err(e) => e,
                    };
                    for st in &staged {
                        self.store().discard(st);
                    }
                    return Err(err);
                }
            };
            staged.push(st);
        }
        Ok(staged)
    }
}

/// Where imported records come from, as their events record it.
pub(super) struct Origin<'a> {
    pub source: &'a str,
    pub head: &'a str,
    pub bag: Option<&'a str>,
}

impl Origin<'_> {
    fn of(&self, id: Subject) -> Value {
        json!({ "origin": { "catalog": self.source, "id": id, "head": self.head } })
    }
}

/// Insert the new records (one transaction; the caller's `write`).
pub(super) fn apply(
    w: &mut Writer<'_>,
    md: &Metadata,
    plan: &Plan<'_>,
    origin: &Origin<'_>,
) -> Result<(Counts, Mapping, u64)> {
    let mut map = plan.map.clone();
    let mut created = Counts::default();
    // Evidence whose bytes are here or coming: it stays `acquired`.
    let new_files: BTreeSet<Subject> = plan.files.iter().map(|r| r.id).collect();
    let held: BTreeSet<Subject> = md
        .files
        .iter()
        .filter(|r| map.contains_key(&r.id) || new_files.contains(&r.id))
        .filter_map(|r| r.refers_to("evidence_id", RecordKind::Evidence))
        .collect();
    for rec in &plan.articles {
        let ov = if rec.path.is_none() { vec![("source_sha256", Value::Null)] } else { Vec::new() };
        insert(w, rec, &ov, origin, &mut map)?;
        created.articles += 1;
    }
    for rec in &plan.evidence {
        let mut ov = Vec::new();
        if rec.text("status") == Some("acquired") && !held.contains(&rec.id) {
            ov.push(("status", json!("referenced")));
        }
        insert(w, rec, &ov, origin, &mut map)?;
        created.evidence += 1;
    }
    for rec in parents_first(&plan.files, &map)? {
        let evidence = local_ref(rec, "evidence_id", RecordKind::Evidence, &map)
            .ok_or_else(|| Error::invalid("bag record", rec.id.to_string(), "its evidence item is not in the bag"))?;
        let parent = local_ref(rec, "derived_from", RecordKind::File, &map).map_or(Value::Null, Value::from);
        let ov = [
            ("evidence_id", Value::from(evidence)),
            ("derived_from", parent),
            ("storage", json!(Storage::Object.as_str())),
        ];
        insert(w, rec, &ov, origin, &mut map)?;
        created.files += 1;
    }
    for rec in &plan.claims {
        let article = match rec.refers_to("article_id", RecordKind::Article) {
            None => Value::Null,
            Some(_) => local_ref(rec, "article_id", RecordKind::Article, &map)
                .map(Value::from)
                .ok_or_else(|| Error::invalid("bag record", rec.id.to_string(), "its article is not in the bag"))?,
        };
        insert(w, rec, &[("article_id", article)], origin, &mut map)?;
        created.claims += 1;
    }
    for rec in &plan.links {
        let (Some(c), Some(e)) = (
            local_ref(rec, "claim_id", RecordKind::Claim, &map),
            local_ref(rec, "evidence_id", RecordKind::Evidence, &map),
        ) else {
            return Err(Error::invalid("bag record", rec.id.to_string(), "its claim or evidence is not in the bag"));
        };
        insert(w, rec, &[("claim_id", Value::from(c)), ("evidence_id", Value::from(e))], origin, &mut map)?;
        created.links += 1;
    }
    let details = json!({
        "kind": "bag",
        "bag": origin.bag,
        "source_catalog": origin.source,
        "head": origin.head,
        "created": created,
        "mapping": map,
    });
    let seq = w.append(Subject::Catalog, Action::Imported, None, details)?;
    Ok((created, map, seq))
}

/// The local id a foreign key of `rec` maps to, if mapped.
fn local_ref(rec: &BagRecord, column: &str, kind: RecordKind, map: &Mapping) -> Option<i64> {
    rec.refers_to(column, kind).and_then(|s| map.get(&s)).and_then(|s| s.id())
}

/// New files ordered so that a file derived from another new file comes
/// after it; a cycle is refused.
fn parents_first<'r>(files: &[&'r BagRecord], map: &Mapping) -> Result<Vec<&'r BagRecord>> {
    let ids: BTreeSet<Subject> = files.iter().map(|r| r.id).collect();
    let mut placed: BTreeSet<Subject> = BTreeSet::new();
    let mut out = Vec::with_capacity(files.len());
    let mut pending: Vec<&BagRecord> = files.to_vec();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|rec| {
            let parent = rec.refers_to("derived_from", RecordKind::File);
            let waits = parent.is_some_and(|p| ids.contains(&p) && !placed.contains(&p) && !map.contains_key(&p));
            if !waits {
                placed.insert(rec.id);
                out.push(*rec);
            }
            waits
        });
        if pending.len() == before {
            return Err(Error::Corrupt("bag files derive from each other in a cycle".into()));
        }
    }
    Ok(out)
}

/// Insert one bag record with `overrides` replacing some of its values,
/// logged as `imported` with its origin; maps its id.
fn insert(
    w: &mut Writer<'_>,
    rec: &BagRecord,
    overrides: &[(&str, Value)],
    origin: &Origin<'_>,
    map: &mut Mapping,
) -> Result<()> {
    let Some(kind) = rec.id.kind() else { return Ok(()) };
    let mut row = rec.row.clone();
    for (k, v) in overrides {
        row.insert((*k).to_string(), v.clone());
    }
    let values =
        snapshot::row_values(&w.tx, kind, &row).map_err(|why| Error::invalid("bag record", rec.id.to_string(), why))?;
    let cols: Vec<(&str, rusqlite::types::Value)> = values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let n = w.insert_row(kind, &cols, Action::Imported, None, origin.of(rec.id))?;
    map.insert(rec.id, kind.subject(n));
    Ok(())
}
