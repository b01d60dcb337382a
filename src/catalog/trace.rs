//! `trace`: from a claim to the evidence, the bytes, their custody and fixity.

use serde::Serialize;

use super::claims::Claim;
use super::evidence::Evidence;
use super::files::{FileRecord, Storage};
use super::links::Link;
use super::log;
use super::Catalog;
use crate::custody::SealedEvent;
use crate::error::Result;
use crate::ids::{ArticleId, ClaimId, Subject};
use crate::store::{self, Fixity};

#[derive(Debug, Clone, Serialize)]
pub struct CustodySummary {
    pub events: usize,
    pub first: Option<SealedEvent>,
    pub last: Option<SealedEvent>,
}

impl CustodySummary {
    fn of(events: Vec<SealedEvent>) -> Self {
        CustodySummary { events: events.len(), first: events.first().cloned(), last: events.last().cloned() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceFile {
    pub file: FileRecord,
    pub custody: CustodySummary,
    /// Fixity checked now: ok, missing, mismatch or unreadable.
    pub fixity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceLink {
    pub link: Link,
    pub evidence: Evidence,
    pub evidence_custody: CustodySummary,
    pub files: Vec<TraceFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub claim: Claim,
    pub article: Option<(ArticleId, Option<String>)>,
    pub claim_custody: CustodySummary,
    pub links: Vec<TraceLink>,
    /// The last recorded audit (`verified` event), if any.
    pub last_audit: Option<SealedEvent>,
}

fn fixity_now(cat: &Catalog, f: &FileRecord) -> String {
    let sha = f.sha256;
    let fx = match f.storage {
        Storage::Object => cat.store().check(&sha),
        Storage::InPlace => match &f.original_path {
            Some(p) => store::check_path(std::path::Path::new(p), &sha),
            None => Fixity::Missing,
        },
    };
    match fx {
        Fixity::Ok => "ok".into(),
        Fixity::Missing => "missing".into(),
        Fixity::Mismatch { found, .. } => format!("MISMATCH (found {found})"),
        Fixity::Unreadable(e) => format!("unreadable ({e})"),
    }
}

impl Catalog {
    pub fn trace(&self, id: ClaimId) -> Result<Trace> {
        let claim = self.claim(id)?;
        let article = match claim.article_id {
            Some(a) => Some((a, self.article(a)?.title)),
            None => None,
        };
        // Two links to the same evidence show the same files: hash each once.
        let mut checked: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        let mut links = Vec::new();
        for link in self.links_of_claim(id)? {
            let evidence = self.evidence(link.evidence_id)?;
            let evidence_custody = CustodySummary::of(log::for_subject(self, Subject::Evidence(evidence.id))?);
            let mut files = Vec::new();
            for f in self.files_of(evidence.id)? {
                files.push(TraceFile {
                    custody: CustodySummary::of(log::for_subject(self, Subject::File(f.id))?),
                    fixity: checked.entry(f.id.0).or_insert_with(|| fixity_now(self, &f)).clone(),
                    file: f,
                });
            }
            links.push(TraceLink { link, evidence, evidence_custody, files });
        }
        Ok(Trace {
            claim_custody: CustodySummary::of(log::for_subject(self, Subject::Claim(id))?),
            claim,
            article,
            links,
            last_audit: self.last_audit()?,
        })
    }
}
