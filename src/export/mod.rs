//! Interop and reports: what leaves the catalog (and what comes back in).
//!
//! - [`bag`]: BagIt (RFC 8493) bags of files + metadata + custody events, and
//!   their verified import into another catalog;
//! - [`prov`]: W3C PROV-JSON of files, evidence, acquisitions and actors;
//! - [`claimreview`]: schema.org ClaimReview JSON-LD of claims and their evidence;
//! - [`csv`]: CSV export of one table, and import of an archivist's spreadsheet;
//! - [`report`]: one self-contained HTML page a person can open offline.
//!
//! Every export is recorded as an `exported` custody event (subject `catalog`)
//! naming the format, the scope, the records and the SHA-256 of what was written.
//! Outputs are written to a temp name beside the target and renamed into place,
//! and an existing target is only replaced with `force`.

pub mod bag;
pub mod claimreview;
pub mod csv;
pub mod digests;
pub mod hashdeep;
pub mod prov;
pub mod report;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use crate::catalog::articles::Article;
use crate::catalog::claims::{Claim, ClaimFilter};
use crate::catalog::evidence::{Evidence, EvidenceFilter};
use crate::catalog::files::{FileFilter, FileRecord};
use crate::catalog::links::Link;
use crate::catalog::{Catalog, Subject};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::ids::{ArticleId, ClaimId, EvidenceId, FileId};

/// What an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Article(ArticleId),
    Claim(ClaimId),
    Evidence(EvidenceId),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Article(a) => write!(f, "{a}"),
            Scope::Claim(c) => write!(f, "{c}"),
            Scope::Evidence(e) => write!(f, "{e}"),
        }
    }
}

/// The records an export covers, each in id order, closed over the
/// relations: claims bring their article, links and linked evidence;
/// evidence brings its files; derived files bring what they derive from.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub articles: BTreeMap<i64, Article>,
    pub claims: BTreeMap<i64, Claim>,
    pub links: BTreeMap<i64, Link>,
    pub evidence: BTreeMap<i64, Evidence>,
    pub files: BTreeMap<i64, FileRecord>,
}

impl Selection {
    pub fn build(cat: &Catalog, scope: Scope) -> Result<Selection> {
        let mut s = Selection::default();
        match scope {
            Scope::All => {
                for a in cat.list_articles(None, None)? {
                    s.articles.insert(a.id.0, a);
                }
                for c in cat.list_claims(&ClaimFilter::default())? {
                    for l in cat.links_of_claim(c.id)? {
                        s.links.insert(l.id.0, l);
                    }
                    s.claims.insert(c.id.0, c);
                }
                for e in cat.list_evidence(&EvidenceFilter::default())? {
                    s.evidence.insert(e.id.0, e);
                }
                for f in cat.list_files(&FileFilter::default())? {
                    s.files.insert(f.id.0, f);
                }
            }
            Scope::Article(a) => {
                let art = cat.article(a)?;
                s.articles.insert(a.0, art);
                for c in cat.list_claims(&ClaimFilter { article: Some(a), ..Default::default() })? {
                    s.add_claim(cat, c)?;
                }
            }
            Scope::Claim(c) => {
                let claim = cat.claim(c)?;
                s.add_claim(cat, claim)?;
            }
            Scope::Evidence(e) => {
                s.add_evidence(cat, e)?;
                for cite in cat.cited_by(e)? {
                    let link = cat.link(cite.link)?;
                    s.links.insert(link.id.0, link);
                    if !s.claims.contains_key(&cite.claim.0) {
                        let claim = cat.claim(cite.claim)?;
                        if let Some(a) = claim.article_id {
                            if let Entry::Vacant(v) = s.articles.entry(a.0) {
                                v.insert(cat.article(a)?);
                            }
                        }
                        s.claims.insert(claim.id.0, claim);
                    }
                }
            }
        }
        s.close_derivations(cat)?;
        Ok(s)
    }

    fn add_claim(&mut self, cat: &Catalog, c: Claim) -> Result<()> {
        if let Some(a) = c.article_id {
            if let Entry::Vacant(v) = self.articles.entry(a.0) {
                v.insert(cat.article(a)?);
            }
        }
        for l in cat.links_of_claim(c.id)? {
            self.add_evidence(cat, l.evidence_id)?;
            self.links.insert(l.id.0, l);
        }
        self.claims.insert(c.id.0, c);
        Ok(())
    }

    fn add_evidence(&mut self, cat: &Catalog, e: EvidenceId) -> Result<()> {
        if self.evidence.contains_key(&e.0) {
            return Ok(());
        }
        self.evidence.insert(e.0, cat.evidence(e)?);
        for f in cat.files_of(e)? {
            self.files.insert(f.id.0, f);
        }
        Ok(())
    }

    /// Files derived from files outside the selection bring their sources
    /// (and those sources' evidence) along, so derivations stay resolvable.
    fn close_derivations(&mut self, cat: &Catalog) -> Result<()> {
        loop {
            let missing: BTreeSet<FileId> =
                self.files.values().filter_map(|f| f.derived_from).filter(|d| !self.files.contains_key(&d.0)).collect();
            if missing.is_empty() {
                return Ok(());
            }
            for d in missing {
                let f = cat.file(d)?;
                if let Entry::Vacant(v) = self.evidence.entry(f.evidence_id.0) {
                    v.insert(cat.evidence(f.evidence_id)?);
                }
                self.files.insert(d.0, f);
            }
        }
    }

    /// Every selected record as its custody subject.
    pub fn subjects(&self) -> BTreeSet<Subject> {
        let mut out = BTreeSet::new();
        out.extend(self.articles.values().map(|a| Subject::Article(a.id)));
        out.extend(self.claims.values().map(|c| Subject::Claim(c.id)));
        out.extend(self.links.values().map(|l| Subject::Link(l.id)));
        out.extend(self.evidence.values().map(|e| Subject::Evidence(e.id)));
        out.extend(self.files.values().map(|f| Subject::File(f.id)));
        out
    }

    /// User-facing ids of every selected record (`A1`, `C2`, ...).
    pub fn record_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        v.extend(self.articles.values().map(|a| a.id.to_string()));
        v.extend(self.claims.values().map(|c| c.id.to_string()));
        v.extend(self.links.values().map(|l| l.id.to_string()));
        v.extend(self.evidence.values().map(|e| e.id.to_string()));
        v.extend(self.files.values().map(|f| f.id.to_string()));
        v
    }

    pub fn counts(&self) -> Counts {
        Counts {
            articles: self.articles.len(),
            claims: self.claims.len(),
            links: self.links.len(),
            evidence: self.evidence.len(),
            files: self.files.len(),
        }
    }
}

/// How many records of each kind an export or import covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub articles: usize,
    pub claims: usize,
    pub links: usize,
    pub evidence: usize,
    pub files: usize,
}

/// The summary every single-file export returns (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct FileExport {
    pub format: &'static str,
    pub out: PathBuf,
    pub scope: String,
    pub bytes: u64,
    pub sha256: String,
    pub counts: Counts,
    /// Sequence number of the `exported` custody event.
    pub event: u64,
    /// Things the export could not include, each with the reason.
    pub warnings: Vec<String>,
}

/// Refuse to replace an existing output unless `force`.
pub(crate) fn check_target(out: &Path, force: bool) -> Result<()> {
    match fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() => {
            Err(Error::Conflict(format!("{} exists and is a directory; choose another output path", out.display())))
        }
        Ok(_) if !force => {
            Err(Error::Conflict(format!("{} already exists; pass --force to overwrite it", out.display())))
        }
        _ => Ok(()),
    }
}

/// A temp path beside `out` (same filesystem, so the final rename is atomic).
pub(crate) fn temp_beside(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.evcat-tmp-{}", std::process::id()))
}

/// What a single-file export is, for its `exported` event and summary.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    pub format: &'static str,
    pub scope: String,
    pub counts: Counts,
    /// User-facing ids of the records exported.
    pub records: Vec<String>,
    pub warnings: Vec<String>,
}

/// Write `bytes` to `out` through a temp file, record an `exported` event
/// with their hash, then rename into place. Nothing is left behind on error.
pub(crate) fn write_recorded(
    cat: &mut Catalog,
    out: &Path,
    force: bool,
    what: Described,
    bytes: &[u8],
) -> Result<FileExport> {
    check_target(out, force)?;
    let tmp = temp_beside(out);
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        drop(f);
        let sha = Sha256::of_bytes(bytes).to_hex();
        let details = json!({
            "format": what.format,
            "scope": what.scope,
            "out": out.display().to_string(),
            "sha256": sha,
            "bytes": bytes.len() as u64,
            "records": what.records,
        });
        let event = cat.write(|w| w.append(Subject::Catalog, Action::Exported, None, details))?;
        fs::rename(&tmp, out).map_err(|e| Error::io("rename into place", out, e))?;
        Ok(FileExport {
            format: what.format,
            out: out.to_path_buf(),
            scope: what.scope.clone(),
            bytes: bytes.len() as u64,
            sha256: sha,
            counts: what.counts,
            event,
            warnings: what.warnings.clone(),
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A file-name-safe version of `name`: ASCII letters, digits, `.`, `-`, `_`
/// (others become `_`), no leading dot, at most 80 bytes, never empty.
pub(crate) fn safe_name(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    while s.starts_with('.') {
        s.remove(0);
    }
    if s.len() > 80 {
        // Keep the extension, which tells the receiver what the file is.
        let ext = s.rfind('.').filter(|i| s.len() - i <= 10).map(|i| s[i..].to_string()).unwrap_or_default();
        s.truncate(80 - ext.len());
        s.push_str(&ext);
    }
    if s.is_empty() {
        s.push_str("file");
    }
    s
}

/// JSON value of `v`, or an error naming what was serialised.
#[allow(dead_code)]
pub(crate) fn to_json<T: Serialize>(v: &T, context: &str) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Json { context: context.to_string(), source: e })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("clip 1.mp4"), "clip_1.mp4");
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name("Überwachung.jpg"), "_berwachung.jpg");
        let long = format!("{}.jpeg", "a".repeat(200));
        let s = safe_name(&long);
        assert_eq!(s.len(), 80);
        assert!(s.ends_with(".jpeg"));
    }
}
