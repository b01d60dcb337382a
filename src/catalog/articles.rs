//! Articles: imported text, stored verbatim with its hash; the imported file's
//! bytes are kept in the object store so the exact source survives conversion.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::Value as V;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::claims::{self, ClaimOrigin, ClaimStatus};
use super::evidence::{self, EvidenceKind, EvidenceStatus, Platform, Provenance, Source};
use super::links::{self, NewLink, Relation};
use super::{now, Catalog, RecordKind};
use crate::articles::{self, Format};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::{ArticleId, ClaimId, EvidenceId, LinkId};

/// Largest article file evcat imports; real articles are far smaller, and the
/// limit keeps a mistaken `article add video.mp4` from loading gigabytes.
const MAX_ARTICLE_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    pub id: ArticleId,
    pub title: Option<String>,
    pub publisher: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<String>,
    pub format: String,
    pub body: String,
    pub body_sha256: String,
    pub source_sha256: Option<String>,
    pub source_name: Option<String>,
    pub sources: BTreeMap<String, Source>,
    pub created_at: String,
}

/// Metadata a person gives on import; overrides what the text says.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ArticleMeta {
    pub title: Option<String>,
    pub url: Option<String>,
    pub publisher: Option<String>,
    pub author: Option<String>,
    /// YYYY-MM-DD or RFC 3339, already normalised.
    pub published: Option<String>,
}

/// One evidence reference detected on import.
#[derive(Debug, Clone, Serialize)]
pub struct DetectedRef {
    pub claim: ClaimId,
    pub evidence: EvidenceId,
    pub link: LinkId,
    pub kind: EvidenceKind,
    pub platform: Option<String>,
    pub live: bool,
    pub cues: Vec<String>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub article: ArticleId,
    /// True when the same text was imported before; nothing was changed.
    pub already_imported: bool,
    pub title: Option<String>,
    pub format: Format,
    pub sentences: usize,
    pub detected: Vec<DetectedRef>,
}

const SELECT: &str = "SELECT id, title, publisher, url, author, published_at, format, body, body_sha256, source_sha256, source_name, sources, created_at FROM article";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Article> {
    let sources: String = r.get(11)?;
    Ok(Article {
        id: ArticleId(r.get(0)?),
        title: r.get(1)?,
        publisher: r.get(2)?,
        url: r.get(3)?,
        author: r.get(4)?,
        published_at: r.get(5)?,
        format: r.get(6)?,
        body: r.get(7)?,
        body_sha256: r.get(8)?,
        source_sha256: r.get(9)?,
        source_name: r.get(10)?,
        sources: serde_json::from_str(&sources).unwrap_or_default(),
        created_at: r.get(12)?,
    })
}

fn text(v: Option<String>) -> V {
    v.map(V::Text).unwrap_or(V::Null)
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Plain => "plain",
        Format::Seed => "seed",
        Format::Markdown => "markdown",
        Format::Html => "html",
    }
}

/// A short, readable title for detected evidence, e.g. "TikTok video cited in A3".
fn detected_title(kind: EvidenceKind, platform: Option<&str>, live: bool, article: ArticleId) -> String {
    let what = match (kind, live) {
        (EvidenceKind::Video, true) => "livestream",
        (EvidenceKind::Video, false) => "video",
        (EvidenceKind::Image, _) => "photo",
        (EvidenceKind::Audio, _) => "recording",
        (EvidenceKind::Web, _) => "post",
        _ => "evidence",
    };
    match platform {
        Some(p) => format!("{p} {what} cited in {article}"),
        None => format!("{what} cited in {article}"),
    }
}

impl Catalog {
    /// Import an article file: store its bytes, keep its text, detect the
    /// sentences that cite media and record each as a detected claim linked
    /// (`mentions`) to new referenced evidence. Importing the same text again
    /// changes nothing and returns the existing article.
    pub fn import_article(&mut self, path: &Path, meta: &ArticleMeta) -> Result<ImportReport> {
        let size = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?.len();
        if size > MAX_ARTICLE_BYTES {
            return Err(Error::invalid(
                "article file",
                path.display().to_string(),
                format!("{size} bytes is larger than the {MAX_ARTICLE_BYTES}-byte limit for article text"),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let raw = String::from_utf8(bytes.clone()).map_err(|e| {
            Error::invalid(
                "article file",
                path.display().to_string(),
                format!(
                    "not UTF-8 text (invalid byte at offset {}); convert it to UTF-8 first",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let parsed = articles::parse_article(&raw, ext.as_deref());
        if parsed.body.trim().is_empty() {
            return Err(Error::invalid("article file", path.display().to_string(), "no article text found in it"));
        }
        let body_sha = articles::body_sha256(&parsed.body);
        if let Some(existing) = self.article_by_body_sha(&body_sha)? {
            return Ok(ImportReport {
                article: existing.id,
                already_imported: true,
                title: existing.title,
                format: parsed.format,
                sentences: articles::split_sentences(&existing.body).len(),
                detected: Vec::new(),
            });
        }
        let source = self.store().stage_bytes(&bytes)?;
        let sentences = articles::split_sentences(&parsed.body);
        let detections = articles::detect_evidence(&parsed.body, &sentences);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());

        let result = self.write(|w| {
            let mut sources = BTreeMap::new();
            let mut pick = |field: &str, user: &Option<String>, from_text: &Option<String>| {
                if user.is_some() {
                    sources.insert(field.to_string(), Source::User);
                    user.clone()
                } else if from_text.is_some() {
                    sources.insert(field.to_string(), Source::File);
                    from_text.clone()
                } else {
                    None
                }
            };
            let title = pick("title", &meta.title, &parsed.title);
            let url = pick("url", &meta.url, &parsed.url);
            let publisher = pick("publisher", &meta.publisher, &parsed.publisher);
            let author = pick("author", &meta.author, &parsed.author);
            let published = pick("published_at", &meta.published, &parsed.published);
            let cols: Vec<(&str, V)> = vec![
                ("title", text(title.clone())),
                ("publisher", text(publisher)),
                ("url", text(url)),
                ("author", text(author)),
                ("published_at", text(published)),
                ("format", V::Text(format_name(parsed.format).into())),
                ("body", V::Text(parsed.body.clone())),
                ("body_sha256", V::Text(body_sha.clone())),
                ("source_sha256", V::Text(source.sha256.to_hex())),
                ("source_name", text(name.clone())),
                ("sources", V::Text(serde_json::to_string(&sources).unwrap_or_else(|_| "{}".into()))),
                ("created_at", V::Text(now())),
            ];
            let article =
                ArticleId(w.insert_row(RecordKind::Article, &cols, Action::Imported, None, serde_json::Value::Null)?);

            let mut detected = Vec::new();
            for d in &detections {
                let kind: EvidenceKind = d.kind.parse().unwrap_or(EvidenceKind::Other);
                let platform = d.platform.as_deref().and_then(|p| p.parse::<Platform>().ok());
                let sentence = parsed.body.get(d.span.start..d.span.end).unwrap_or_default().to_string();
                let claim = claims::insert(
                    w,
                    Some((article, d.span.start, d.span.end)),
                    &sentence,
                    ClaimStatus::Detected,
                    ClaimOrigin::Detected,
                )?;
                let prov = Provenance {
                    title: Some(detected_title(kind, platform.map(|p| p.as_str()), d.live, article)),
                    description: Some(sentence.clone()),
                    platform,
                    ..Default::default()
                };
                let ev = evidence::create(
                    w,
                    kind,
                    EvidenceStatus::Referenced,
                    &prov,
                    Source::Detected,
                    &[],
                    serde_json::json!({ "detected_in": article.to_string(), "cues": d.cues }),
                )?;
                let link = links::insert(
                    w,
                    &NewLink {
                        claim,
                        evidence: ev,
                        relation: Relation::Mentions,
                        range_ms: None,
                        region: None,
                        note: Some(format!("detected from: {}", d.cues.join(", "))),
                    },
                )?;
                detected.push(DetectedRef {
                    claim,
                    evidence: ev,
                    link,
                    kind,
                    platform: platform.map(|p| p.to_string()),
                    live: d.live,
                    cues: d.cues.clone(),
                    text: sentence,
                });
            }
            Ok(ImportReport {
                article,
                already_imported: false,
                title,
                format: parsed.format,
                sentences: sentences.len(),
                detected,
            })
        });
        match &result {
            Ok(_) => self.store().publish(&source)?,
            Err(_) => self.store().discard(&source),
        }
        result
    }

    pub fn article(&self, id: ArticleId) -> Result<Article> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?
            .ok_or_else(|| Error::not_found(format!("article {id}")))
    }

    fn article_by_body_sha(&self, sha: &str) -> Result<Option<Article>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE body_sha256 = ?1"))?
            .query_row([sha], from_row)
            .optional()?)
    }

    pub fn list_articles(&self, limit: Option<u64>, offset: Option<u64>) -> Result<Vec<Article>> {
        let sql = format!(
            "{SELECT} ORDER BY id LIMIT {} OFFSET {}",
            limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1),
            offset.unwrap_or(0).min(i64::MAX as u64)
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// SHA-256 of every stored article source file (objects audit must know).
    pub fn article_sources(&self) -> Result<Vec<String>> {
        let mut stmt =
            self.conn().prepare("SELECT source_sha256 FROM article WHERE source_sha256 IS NOT NULL ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
