//! Embedded posts and media of an imported article page as referenced evidence, inside the
//! article's import transaction: one evidence item per canonical URL (reusing an item the
//! catalog already holds for that post), linked `mentions` with origin `embedded` to the
//! claim of the sentence or paragraph the embed sits in.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::claims::{self, ClaimOrigin, ClaimStatus};
use super::evidence::{self, EvidenceKind, EvidenceStatus, Platform, Provenance, Source};
use super::links::{self, LinkOrigin, NewLink, Relation};
use super::Writer;
use crate::articles::{Detection, Embed, Span};
use crate::error::Result;
use crate::ids::{ArticleId, ClaimId, EvidenceId, LinkId};

/// One embed of an imported page, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddedRef {
    pub claim: ClaimId,
    pub evidence: EvidenceId,
    pub link: LinkId,
    pub kind: EvidenceKind,
    pub platform: Option<String>,
    pub url: String,
    pub platform_id: Option<String>,
    /// How it was found in the page ("blockquote.twitter-tweet", "iframe", "link", "img").
    pub how: String,
    /// True when the evidence item existed before this import (same post).
    pub existing: bool,
    /// The claim's text (the sentence or paragraph the embed sits in).
    pub text: String,
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// The embed a detection is about: one whose anchor overlaps the detected sentence on the
/// same platform (or either without one), or an embed of the detection's platform placed
/// right after the detected sentence's paragraph ("Ein Video auf X zeigt ..." followed by the
/// post). Its URL then replaces a URL-less evidence item.
pub(crate) fn embed_for(d: &Detection, embeds: &[Embed], body: &str) -> Option<usize> {
    let same = |e: &Embed| d.platform.is_none() || e.platform.is_none() || d.platform == e.platform;
    if let Some(i) = embeds.iter().position(|e| overlaps(e.span, d.span) && same(e) && e.how != "img") {
        return Some(i);
    }
    let para_end = body.get(d.span.end..).and_then(|rest| rest.find("\n\n")).map_or(body.len(), |i| d.span.end + i);
    embeds.iter().position(|e| {
        d.platform.is_some()
            && d.platform == e.platform
            && e.how != "link"
            && e.span.start >= para_end
            && body.get(para_end..e.span.start).is_some_and(|gap| gap.trim().is_empty())
    })
}

/// The account in a post URL (x.com/USER/status, tiktok.com/@USER, threads.net/@USER).
fn handle_of(e: &Embed) -> Option<String> {
    let path = e.url.split("://").nth(1)?.split_once('/')?.1;
    let first = path.split('/').next()?;
    match e.platform.as_deref()? {
        "x" if first != "i" => Some(format!("@{first}")),
        "tiktok" | "threads" => first.strip_prefix('@').map(|h| format!("@{h}")),
        "bluesky" => path.strip_prefix("profile/").and_then(|p| p.split('/').next()).map(str::to_string),
        "telegram" => Some(format!("@{first}")),
        _ => None,
    }
}

fn clip(s: &str, n: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

/// Records embeds for one import: evidence per URL, claims per span, links once.
pub(crate) struct EmbedLinker {
    pub article: ArticleId,
    evidence: HashMap<String, (EvidenceId, bool)>,
    pub claims: BTreeMap<Span, ClaimId>,
    linked: HashSet<(ClaimId, EvidenceId)>,
    pub out: Vec<EmbeddedRef>,
}

impl EmbedLinker {
    pub fn new(article: ArticleId) -> Self {
        EmbedLinker {
            article,
            evidence: HashMap::new(),
            claims: BTreeMap::new(),
            linked: HashSet::new(),
            out: Vec::new(),
        }
    }

    /// The evidence item for the embed's URL: this import's, the catalog's, or a new one.
    pub fn evidence(&mut self, w: &mut Writer<'_>, e: &Embed, kind: EvidenceKind) -> Result<(EvidenceId, bool)> {
        if let Some(found) = self.evidence.get(&e.url) {
            return Ok(*found);
        }
        let found = match evidence::find_by_url(&w.tx, e.platform.as_deref(), e.platform_id.as_deref(), &e.url)? {
            Some(id) => (id, true),
            None => {
                let platform = e.platform.as_deref().and_then(|p| p.parse::<Platform>().ok()).or(Some(Platform::Web));
                let what = match kind {
                    EvidenceKind::Video => "video",
                    EvidenceKind::Image => "photo",
                    EvidenceKind::Audio => "recording",
                    _ => "post",
                };
                let prov = Provenance {
                    title: Some(format!(
                        "{} {what} embedded in {}",
                        platform.map_or("web", |p| p.as_str()),
                        self.article
                    )),
                    description: e.caption.clone(),
                    platform,
                    source_url: Some(e.url.clone()),
                    platform_id: e.platform_id.clone(),
                    author_handle: handle_of(e),
                    posted_at: None,
                    author_id: None,
                };
                let id = evidence::create(
                    w,
                    kind,
                    EvidenceStatus::Referenced,
                    &prov,
                    Source::Embedded,
                    &[],
                    serde_json::json!({ "embedded_in": self.article.to_string(), "how": e.how }),
                )?;
                (id, false)
            }
        };
        self.evidence.insert(e.url.clone(), found);
        Ok(found)
    }

    /// The claim on `span` made in this import, or a new detected claim.
    pub fn claim(&mut self, w: &mut Writer<'_>, body: &str, span: Span) -> Result<ClaimId> {
        if let Some(c) = self.claims.get(&span) {
            return Ok(*c);
        }
        let text = body.get(span.start..span.end).unwrap_or_default();
        let c = claims::insert(
            w,
            Some((self.article, span.start, span.end)),
            text,
            ClaimStatus::Detected,
            ClaimOrigin::Detected,
        )?;
        self.claims.insert(span, c);
        Ok(c)
    }

    /// Link `claim` to the embed's evidence (once per claim and item).
    pub fn link(
        &mut self,
        w: &mut Writer<'_>,
        body: &str,
        claim: ClaimId,
        span: Span,
        e: &Embed,
        kind: EvidenceKind,
    ) -> Result<()> {
        let (ev, existing) = self.evidence(w, e, kind)?;
        if !self.linked.insert((claim, ev)) {
            return Ok(());
        }
        let link = links::insert(
            w,
            &NewLink {
                claim,
                evidence: ev,
                relation: Relation::Mentions,
                range_ms: None,
                region: None,
                note: Some(format!("embedded in the page: {} {}", e.how, e.url)),
                origin: LinkOrigin::Embedded,
            },
        )?;
        self.out.push(EmbeddedRef {
            claim,
            evidence: ev,
            link,
            kind,
            platform: e.platform.clone(),
            url: e.url.clone(),
            platform_id: e.platform_id.clone(),
            how: e.how.clone(),
            existing,
            text: clip(body.get(span.start..span.end).unwrap_or_default(), 200),
        });
        Ok(())
    }
}

/// The evidence kind of an embed, preferring the detected sentence's media kind for posts (a
/// tweet or an Instagram post that the sentence calls a video is a video).
pub(crate) fn embed_kind(e: &Embed, detected: Option<&str>) -> EvidenceKind {
    let k = match (e.how.as_str(), detected) {
        ("img" | "video", _) => e.kind.as_str(),
        (_, Some(d @ ("video" | "image" | "audio"))) => d,
        _ => e.kind.as_str(),
    };
    k.parse().unwrap_or(EvidenceKind::Web)
}
