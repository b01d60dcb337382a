//! Articles: imported text, stored verbatim with its hash; the imported file's
//! bytes are kept in the object store so the exact source survives conversion.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::Value as V;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::embedded::{self, EmbedLinker, EmbeddedRef};
use super::evidence::{self, EvidenceKind, EvidenceStatus, Platform, Provenance, Source};
use super::links::{self, LinkOrigin, NewLink, Relation};
use super::{now, Catalog, RecordKind};
use crate::articles::{self, Format, PageInfo, ParsedArticle};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::{ArticleId, ClaimId, EvidenceId, LinkId};

/// Largest article file evcat imports; real articles are far smaller, and the
/// limit keeps a mistaken `article add video.mp4` from loading gigabytes.
const MAX_ARTICLE_BYTES: u64 = 16 << 20;
/// MHTML archives carry the page's images inline (base64), so they may be larger.
const MAX_MHTML_BYTES: u64 = 128 << 20;

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
    /// HTML pages: `<html lang>` or the like, as written.
    pub lang: Option<String>,
    pub modified_at: Option<String>,
    pub canonical_url: Option<String>,
    /// Field -> `{"source": tag}` (the page's tag, or the flag that overrode it, then with
    /// `"page": {"source", "value"}`: what the page said).
    pub meta_sources: BTreeMap<String, serde_json::Value>,
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
    /// Embedded posts and media of an HTML page, with their URLs (acquisition to-do).
    pub embedded: Vec<EmbeddedRef>,
    pub lang: Option<String>,
    /// How the bytes were decoded, for HTML ("windows-1252 (meta)").
    pub encoding: Option<String>,
    /// "mhtml" or "webpage, complete".
    pub saved_as: Option<String>,
    /// Where each metadata field came from (see [`Article::meta_sources`]).
    pub meta_sources: BTreeMap<String, serde_json::Value>,
}

const SELECT: &str = "SELECT id, title, publisher, url, author, published_at, format, body, body_sha256, source_sha256, source_name, sources, created_at, lang, modified_at, canonical_url, meta_sources FROM article";

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
        lang: r.get(13)?,
        modified_at: r.get(14)?,
        canonical_url: r.get(15)?,
        meta_sources: r.get::<_, Option<String>>(16)?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
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

/// JSON text of a map (BTreeMaps, so keys are sorted and the text is stable).
fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// An article file read from disk and parsed.
struct Input {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
    parsed: ParsedArticle,
}

/// Read `path` (a file, or a "Webpage, complete" folder) and parse it.
fn read_input(path: &Path) -> Result<Input> {
    let bad = |p: &Path, why: String| Error::invalid("article file", p.display().to_string(), why);
    let path =
        if path.is_dir() { articles::page_in_folder(path).map_err(|why| bad(path, why))? } else { path.to_path_buf() };
    let size = std::fs::metadata(&path).map_err(|e| Error::io("stat", &path, e))?.len();
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let limit = if matches!(ext.as_deref(), Some("mhtml" | "mht")) { MAX_MHTML_BYTES } else { MAX_ARTICLE_BYTES };
    if size > limit {
        return Err(bad(&path, format!("{size} bytes is larger than the {limit}-byte limit for an article file")));
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    if articles::looks_mhtml(&bytes, ext.as_deref()) && size > MAX_ARTICLE_BYTES && limit == MAX_ARTICLE_BYTES {
        return Err(bad(
            &path,
            format!("{size} bytes is larger than the {MAX_ARTICLE_BYTES}-byte limit; name MHTML archives .mhtml"),
        ));
    }
    let frames = articles::frame_urls(&path, &String::from_utf8_lossy(&bytes));
    let parsed = articles::parse_saved(&bytes, ext.as_deref(), &frames).map_err(|why| bad(&path, why))?;
    Ok(Input { path, bytes, parsed })
}

/// The article row's columns, its title, and the source of each metadata field.
#[allow(clippy::type_complexity)]
fn article_columns(
    parsed: &ParsedArticle,
    page: &PageInfo,
    meta: &ArticleMeta,
    body_sha: &str,
    source_sha: &str,
    name: Option<String>,
) -> (Vec<(&'static str, V)>, Option<String>, BTreeMap<String, serde_json::Value>) {
    let mut sources = BTreeMap::new();
    let mut meta_sources = BTreeMap::new();
    let from_text = format!("{} text", parsed.format.as_str());
    let mut pick = |field: &str, page_key: &str, flag: &str, user: &Option<String>, found: &Option<String>| {
        let tag = page.sources.get(page_key).cloned().unwrap_or_else(|| from_text.clone());
        if user.is_some() {
            sources.insert(field.to_string(), Source::User);
            let mut v = serde_json::json!({ "source": flag });
            if let Some(f) = found {
                v["page"] = serde_json::json!({ "source": tag, "value": f });
            }
            meta_sources.insert(field.to_string(), v);
            user.clone()
        } else if found.is_some() {
            sources.insert(field.to_string(), Source::File);
            meta_sources.insert(field.to_string(), serde_json::json!({ "source": tag }));
            found.clone()
        } else {
            None
        }
    };
    let title = pick("title", "title", "--title", &meta.title, &parsed.title);
    let url = pick("url", "url", "--url", &meta.url, &parsed.url);
    let publisher = pick("publisher", "publisher", "--publisher", &meta.publisher, &parsed.publisher);
    let author = pick("author", "author", "--author", &meta.author, &parsed.author);
    let published = pick("published_at", "published", "--published", &meta.published, &parsed.published);
    let none = None;
    let modified = pick("modified_at", "modified", "", &none, &page.modified);
    let canonical = pick("canonical_url", "canonical_url", "", &none, &page.canonical_url);
    let lang = pick("lang", "lang", "", &none, &page.lang);
    if let Some(b) = page.sources.get("body") {
        meta_sources.insert("body".into(), serde_json::json!({ "source": b }));
    }
    let cols: Vec<(&'static str, V)> = vec![
        ("title", text(title.clone())),
        ("publisher", text(publisher)),
        ("url", text(url)),
        ("author", text(author)),
        ("published_at", text(published)),
        ("format", V::Text(format_name(parsed.format).into())),
        ("body", V::Text(parsed.body.clone())),
        ("body_sha256", V::Text(body_sha.to_string())),
        ("source_sha256", V::Text(source_sha.to_string())),
        ("source_name", text(name)),
        ("sources", V::Text(json_text(&sources))),
        ("created_at", V::Text(now())),
        ("lang", text(lang)),
        ("modified_at", text(modified)),
        ("canonical_url", text(canonical)),
        ("meta_sources", V::Text(json_text(&meta_sources))),
    ];
    (cols, title, meta_sources)
}

impl Catalog {
    /// Import an article file: store its bytes, keep its text, detect the sentences that cite
    /// media and record each as a detected claim linked (`mentions`) to referenced evidence;
    /// record each embedded post or media item of an HTML page as referenced evidence with its
    /// canonical URL, linked (`mentions`, origin `embedded`) to the claim of the sentence or
    /// paragraph it sits in, one item per URL, reusing the catalog's item for the same post.
    /// `path` may be a "Webpage, complete" folder or an `.mhtml` archive. Importing the same
    /// text again changes nothing and returns the existing article.
    pub fn import_article(&mut self, path: &Path, meta: &ArticleMeta) -> Result<ImportReport> {
        let input = read_input(path)?;
        let parsed = input.parsed;
        if parsed.body.trim().is_empty() {
            return Err(Error::invalid(
                "article file",
                input.path.display().to_string(),
                "no article text found in it",
            ));
        }
        let body_sha = articles::body_sha256(&parsed.body);
        let page = parsed.page.clone().unwrap_or_default();
        if let Some(existing) = self.article_by_body_sha(&body_sha)? {
            return Ok(ImportReport {
                article: existing.id,
                already_imported: true,
                title: existing.title,
                format: parsed.format,
                sentences: articles::split_sentences(&existing.body).len(),
                detected: Vec::new(),
                embedded: Vec::new(),
                lang: page.lang,
                encoding: page.encoding,
                saved_as: page.saved_as,
                meta_sources: BTreeMap::new(),
            });
        }
        let source = self.store().stage_bytes(&input.bytes)?;
        let sentences = articles::split_sentences(&parsed.body);
        let lang = page.lang.as_deref().map(articles::primary_language);
        let detections = articles::detect_evidence_in(&parsed.body, &sentences, lang.as_deref());
        let name = input.path.file_name().map(|n| n.to_string_lossy().into_owned());

        let result = self.write(|w| {
            let (cols, title, meta_sources) =
                article_columns(&parsed, &page, meta, &body_sha, &source.sha256.to_hex(), name.clone());
            let article =
                ArticleId(w.insert_row(RecordKind::Article, &cols, Action::Imported, None, serde_json::Value::Null)?);
            let mut linker = EmbedLinker::new(article);
            let mut detected = Vec::new();
            let mut embed_done = vec![false; page.embeds.len()];
            for d in &detections {
                let sentence = parsed.body.get(d.span.start..d.span.end).unwrap_or_default().to_string();
                let claim = linker.claim(w, &parsed.body, d.span)?;
                if let Some(i) = embedded::embed_for(d, &page.embeds, &parsed.body) {
                    // The page holds the post the sentence cites: its URL, not a URL-less item.
                    let e = &page.embeds[i];
                    embed_done[i] = true;
                    linker.link(w, &parsed.body, claim, d.span, e, embedded::embed_kind(e, Some(&d.kind)))?;
                    continue;
                }
                let kind: EvidenceKind = d.kind.parse().unwrap_or(EvidenceKind::Other);
                let platform = d.platform.as_deref().and_then(|p| p.parse::<Platform>().ok());
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
                        origin: LinkOrigin::Detected,
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
            for (i, e) in page.embeds.iter().enumerate() {
                if embed_done[i] {
                    continue;
                }
                let claim = linker.claim(w, &parsed.body, e.span)?;
                linker.link(w, &parsed.body, claim, e.span, e, embedded::embed_kind(e, None))?;
            }
            Ok(ImportReport {
                article,
                already_imported: false,
                title,
                format: parsed.format,
                sentences: sentences.len(),
                detected,
                embedded: linker.out,
                lang: page.lang.clone(),
                encoding: page.encoding.clone(),
                saved_as: page.saved_as.clone(),
                meta_sources,
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
