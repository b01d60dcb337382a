//! One self-contained HTML report a person can open offline: the article with
//! its claims highlighted, each claim's evidence with thumbnails, provenance
//! and files tables, the custody timeline and the last audit result.
//!
//! Self-contained means no external requests: the CSS is inline, there is no
//! script, and thumbnails are `data:` URIs: the thumbnail or poster frame
//! media analysis stored (checked against its hash), else a small JPEG made
//! here from an image file under explicit limits (file size, pixel dimensions,
//! decoder allocation); anything else gets a labelled placeholder. Every
//! piece of catalog text is HTML-escaped; links to sources are plain `<a>`
//! elements limited to http(s) URLs (they make no request until clicked).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Cursor;
use std::path::Path;

use super::{write_recorded, Described, FileExport, Scope, Selection};
use crate::catalog::claims::Claim;
use crate::catalog::files::{FileRecord, Storage};
use crate::catalog::log;
use crate::catalog::Catalog;
use crate::custody::SealedEvent;
use crate::error::Result;
use crate::hash::Sha256;
use crate::timefmt::format_clock_ms;

/// Largest image file a thumbnail is made from.
const THUMB_MAX_FILE: u64 = 64 << 20;
/// Largest picture (either edge) decoded for a thumbnail.
const THUMB_MAX_EDGE: u32 = 12_000;
/// Decoder allocation limit.
const THUMB_MAX_ALLOC: u64 = 512 << 20;
/// Longest edge of a thumbnail.
const THUMB_EDGE: u32 = 240;
/// Events shown in the custody timeline (the most recent ones).
const MAX_TIMELINE: usize = 2000;

/// HTML-escape text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// A link for a URL given by a person: only http(s), escaped; otherwise text.
fn url_html(u: &str) -> String {
    if (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace) {
        format!("<a href=\"{0}\" rel=\"noopener noreferrer\">{0}</a>", esc(u))
    } else {
        esc(u)
    }
}

/// The thumbnail (images) or poster frame (videos) that media analysis already
/// stored for `f`, as a data URI; `None` when there is none or its bytes no
/// longer match their address (audit reports that).
fn stored_thumbnail(cat: &Catalog, f: &FileRecord) -> Option<String> {
    let derived = cat.derived_objects_of(f.id).ok()?;
    let d = ["thumbnail", "poster"].iter().find_map(|k| derived.iter().find(|d| d.kind == *k))?;
    if d.size > THUMB_MAX_FILE {
        return None;
    }
    let sha = d.sha256.parse::<Sha256>().ok()?;
    let bytes = std::fs::read(cat.store().object_path(&sha)).ok()?;
    (Sha256::of_bytes(&bytes) == sha).then(|| format!("data:{};base64,{}", d.media_type, base64(&bytes)))
}

/// A small JPEG made from an image file (when analysis stored none), as a
/// data URI, or why there is none.
fn thumbnail(path: &Path, f: &FileRecord) -> std::result::Result<String, String> {
    if !f.media_type.starts_with("image/") {
        return Err(format!("{} (no thumbnail)", f.media_type));
    }
    if f.size > THUMB_MAX_FILE {
        return Err("image too large for a thumbnail".into());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    let mut reader =
        image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("unreadable: {e}"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(THUMB_MAX_EDGE);
    limits.max_image_height = Some(THUMB_MAX_EDGE);
    limits.max_alloc = Some(THUMB_MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format!("no thumbnail: {e}"))?;
    let small = img.thumbnail(THUMB_EDGE, THUMB_EDGE).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode(small.as_raw(), small.width(), small.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("no thumbnail: {e}"))?;
    Ok(format!("data:image/jpeg;base64,{}", base64(&out)))
}

const CSS: &str = "
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1f;background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #ddd}
h3{font-size:17px;margin:18px 0 6px}
.meta{color:#555;font-size:13px}
.article{background:#fff;padding:16px 20px;border:1px solid #ddd;white-space:pre-wrap}
mark.claim{background:#ffe27a;padding:0 2px}mark.claim.status-rejected{background:#eee;text-decoration:line-through}
mark.claim.status-confirmed{background:#b7f0b1}
mark.claim sup{font-size:10px;color:#333;margin-left:2px}
.claimbox{background:#fff;border:1px solid #ddd;border-left:5px solid #f0b400;padding:10px 14px;margin:12px 0}
.claimbox.status-confirmed{border-left-color:#2e9e2a}.claimbox.status-rejected{border-left-color:#999}
.evidence{display:flex;gap:14px;border-top:1px solid #eee;padding:10px 0}
.thumb{width:240px;min-height:60px;flex:none;display:flex;align-items:center;justify-content:center;background:#eee;color:#666;font-size:12px;text-align:center}
.thumb img{max-width:240px;max-height:240px;display:block}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f0f0ee}
code{font-size:12px;word-break:break-all}
.src{color:#888;font-size:11px}
.ok{color:#1e7b1a;font-weight:600}.bad{color:#b00020;font-weight:600}
";

struct Html(String);

impl Html {
    fn push(&mut self, s: &str) {
        self.0.push_str(s);
    }
}

fn article_body(body: &str, claims: &[&Claim]) -> String {
    let mut spans: Vec<(usize, usize, &Claim)> = claims
        .iter()
        .filter_map(|c| Some((c.start_byte?, c.end_byte?, *c)))
        .filter(|(s, e, _)| s < e && *e <= body.len() && body.is_char_boundary(*s) && body.is_char_boundary(*e))
        .collect();
    spans.sort_by_key(|(s, e, c)| (*s, std::cmp::Reverse(*e), c.id.0));
    highlight(body, 0, body.len(), &spans)
}

/// `body[lo..hi]` with the claims inside it marked; a claim inside another is
/// nested in its mark, one that crosses another's boundary is left unmarked
/// (it is still listed with the claims).
fn highlight(body: &str, lo: usize, hi: usize, spans: &[(usize, usize, &Claim)]) -> String {
    let mut out = String::new();
    let mut pos = lo;
    for (i, (s, e, c)) in spans.iter().enumerate() {
        if *s < pos || *s < lo || *e > hi {
            continue;
        }
        out.push_str(&esc(&body[pos..*s]));
        let inner: Vec<(usize, usize, &Claim)> =
            spans[i + 1..].iter().filter(|(is, ie, _)| is >= s && ie <= e).copied().collect();
        let _ = write!(
            out,
            "<mark class=\"claim status-{}\" id=\"claim-{}\" title=\"{} ({})\">{}<sup>{}</sup></mark>",
            c.status,
            c.id,
            c.id,
            c.status,
            highlight(body, *s, *e, &inner),
            c.id
        );
        pos = *e;
    }
    out.push_str(&esc(body.get(pos..hi).unwrap_or_default()));
    out
}

/// The report's HTML.
/// Content Credentials (C2PA) of the files that carry them: status (with the
/// failure codes), signer, generator, actions, ingredients, AI assertions.
fn credentials_html<'a>(files: impl Iterator<Item = &'a FileRecord>) -> String {
    let mut out = String::new();
    for f in files {
        let Some(c) = &f.c2pa else { continue };
        if out.is_empty() {
            out.push_str("<h3>Content Credentials (C2PA)</h3><table><tr><th>File</th><th>Status</th><th>Signer</th><th>Claim generator</th><th>Actions</th><th>Ingredients</th><th>AI-generated</th></tr>");
        }
        let status =
            if c.codes.is_empty() { c.status.clone() } else { format!("{} ({})", c.status, c.codes.join(", ")) };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.id,
            esc(&status),
            esc(c.signer.as_deref().unwrap_or("")),
            esc(c.claim_generator.as_deref().unwrap_or("")),
            esc(&c.actions.join("; ")),
            esc(&c.ingredients.join("; ")),
            esc(&c.ai_generated.join("; "))
        );
    }
    if !out.is_empty() {
        out.push_str("</table>");
    }
    out
}

pub fn render(cat: &Catalog, sel: &Selection, scope: Scope) -> Result<(String, Vec<String>)> {
    let mut warnings = Vec::new();
    let catalog_id = cat.meta("catalog_id")?.unwrap_or_default();
    let head = log::head(cat)?.map(|h| h.to_string()).unwrap_or_else(|| "(empty log)".into());
    let title = match scope {
        Scope::Article(a) => sel
            .articles
            .get(&a.0)
            .and_then(|x| x.title.clone())
            .map(|t| format!("{a}: {t}"))
            .unwrap_or_else(|| a.to_string()),
        other => format!("evcat report: {other}"),
    };
    let mut h = Html(String::new());
    let _ = write!(
        h.0,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><main>\
         <h1>{}</h1><p class=\"meta\">Catalog <code>{}</code> · custody head <code id=\"head\">{}</code> · generated {}</p>",
        esc(&title),
        esc(&title),
        esc(&catalog_id),
        esc(&head),
        esc(&crate::catalog::now())
    );

    // Articles with claims highlighted.
    for a in sel.articles.values() {
        let claims: Vec<&Claim> = sel.claims.values().filter(|c| c.article_id == Some(a.id)).collect();
        let _ = write!(
            h.0,
            "<section class=\"article-section\" id=\"article-{}\"><h2>{} {}</h2><p class=\"meta\">{}{}{}{}</p><div class=\"article\">{}</div></section>",
            a.id,
            a.id,
            esc(a.title.as_deref().unwrap_or("(untitled)")),
            a.publisher.as_deref().map(|p| format!("{} · ", esc(p))).unwrap_or_default(),
            a.author.as_deref().map(|p| format!("by {} · ", esc(p))).unwrap_or_default(),
            a.published_at.as_deref().map(|p| format!("published {} · ", esc(p))).unwrap_or_default(),
            a.url.as_deref().map(url_html).unwrap_or_default(),
            article_body(&a.body, &claims)
        );
    }

    // Claims and their evidence.
    h.push("<section id=\"claims\"><h2>Claims and evidence</h2>");
    if sel.claims.is_empty() {
        h.push("<p>No claims.</p>");
    }
    let mut thumbs_done: BTreeSet<i64> = BTreeSet::new();
    for c in sel.claims.values() {
        let _ = write!(
            h.0,
            "<div class=\"claimbox status-{}\" id=\"claimbox-{}\"><h3>{} <span class=\"meta\">{} · {}{}</span></h3><blockquote class=\"claim-text\">{}</blockquote>",
            c.status,
            c.id,
            c.id,
            c.status,
            c.origin,
            c.article_id.map(|a| format!(" · in {a}")).unwrap_or_default(),
            esc(&c.text)
        );
        let links: Vec<_> = sel.links.values().filter(|l| l.claim_id == c.id).collect();
        if links.is_empty() {
            h.push("<p class=\"bad\">No evidence linked.</p>");
        }
        for l in links {
            let Some(e) = sel.evidence.get(&l.evidence_id.0) else { continue };
            let files: Vec<&FileRecord> = sel.files.values().filter(|f| f.evidence_id == e.id).collect();
            let mut thumb = String::from("<div class=\"thumb\">no file held</div>");
            if let Some(f) = files.first() {
                let path = match f.storage {
                    Storage::Object => Some(cat.store().object_path(&f.sha256)),
                    Storage::InPlace => f.original_path.as_ref().map(std::path::PathBuf::from),
                };
                let made = || path.map(|p| thumbnail(&p, f));
                thumb = match stored_thumbnail(cat, f).map(Ok).map(Some).unwrap_or_else(made) {
                    Some(Ok(uri)) => {
                        format!("<div class=\"thumb\"><img alt=\"thumbnail of {}\" src=\"{}\"></div>", f.id, esc(&uri))
                    }
                    Some(Err(why)) => {
                        if f.media_type.starts_with("image/") && thumbs_done.insert(f.id.0) {
                            warnings.push(format!("{}: {why}", f.id));
                        }
                        format!("<div class=\"thumb\">{} {}</div>", f.id, esc(&why))
                    }
                    None => format!("<div class=\"thumb\">{}: bytes not held</div>", f.id),
                };
            }
            let mut detail = format!(
                "<b>{}</b> {} <span class=\"meta\">{} · {} · {}</span><br>",
                e.id,
                esc(e.title.as_deref().unwrap_or("(untitled)")),
                e.kind,
                e.status,
                esc(e.platform.as_deref().unwrap_or("unknown platform"))
            );
            let _ = write!(detail, "Relation: <b>{}</b>", l.relation);
            if let Some(r) = l.range {
                let _ = write!(detail, " · at {}", esc(&r.to_string()));
            }
            if let Some(r) = l.region {
                let _ = write!(detail, " · region {},{},{},{}", r.x, r.y, r.w, r.h);
            }
            if let Some(n) = &l.note {
                let _ = write!(detail, " · {}", esc(n));
            }
            detail.push_str("<br>");
            if let Some(u) = &e.source_url {
                let _ = write!(detail, "Source: {}<br>", url_html(u));
            }
            if let Some(a) = &e.author_handle {
                let _ = write!(detail, "Author: {}", esc(a));
            }
            if let Some(p) = &e.posted_at {
                let _ = write!(detail, " · posted {}", esc(p));
            }
            for f in &files {
                let _ = write!(
                    detail,
                    "<br>{} <code>{}</code> {} · {} bytes{}",
                    f.id,
                    esc(&f.sha256.to_hex()),
                    esc(&f.media_type),
                    f.size,
                    f.duration_ms.map(|d| format!(" · {}", format_clock_ms(d))).unwrap_or_default()
                );
            }
            let _ = write!(
                h.0,
                "<div class=\"evidence\" id=\"link-{}\" data-evidence=\"{}\">{thumb}<div>{detail}</div></div>",
                l.id, e.id
            );
        }
        h.push("</div>");
    }
    h.push("</section>");

    // Provenance: what people asserted, kept apart from what files say.
    h.push("<section id=\"provenance\"><h2>Provenance</h2><table><tr><th>Evidence</th><th>Kind</th><th>Status</th><th>Title</th><th>Platform</th><th>URL</th><th>Author</th><th>Posted</th></tr>");
    for e in sel.evidence.values() {
        let src = |k: &str| e.sources.get(k).map(|s| format!(" <span class=\"src\">[{s}]</span>")).unwrap_or_default();
        let opt =
            |v: &Option<String>, k: &str| v.as_deref().map(|x| format!("{}{}", esc(x), src(k))).unwrap_or_default();
        let _ = write!(
            h.0,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.id,
            e.kind,
            e.status,
            opt(&e.title, "title"),
            opt(&e.platform, "platform"),
            e.source_url.as_deref().map(|u| url_html(u) + &src("source_url")).unwrap_or_default(),
            opt(&e.author_handle, "author_handle")
                + &e.author_id.as_deref().map(|i| format!(" (id {}{})", esc(i), src("author_id"))).unwrap_or_default(),
            opt(&e.posted_at, "posted_at")
        );
    }
    h.push("</table><h3>Files</h3><table><tr><th>File</th><th>Evidence</th><th>Name</th><th>SHA-256</th><th>Type</th><th>Size</th><th>Captured</th><th>Device</th><th>Acquired</th><th>By / method / tool</th></tr>");
    for f in sel.files.values() {
        let device = [f.make.as_deref(), f.model.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let how = [f.acquired_by.as_deref(), f.method.as_deref(), f.tool.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = write!(
            h.0,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.id,
            f.evidence_id,
            esc(f.original_name.as_deref().unwrap_or("")),
            esc(&f.sha256.to_hex()),
            esc(&f.media_type),
            f.size,
            esc(f.captured_at.as_deref().unwrap_or("")),
            esc(&device),
            esc(&f.acquired_at),
            esc(&how)
        );
    }
    h.push("</table>");
    h.push(&credentials_html(sel.files.values()));
    let recorded: Vec<_> = sel.files.values().filter_map(|f| f.acquisition.as_ref().map(|r| (f, r))).collect();
    if !recorded.is_empty() {
        h.push("<h3>Acquisition records</h3><table><tr><th>File</th><th>Record</th><th>Fields</th></tr>");
        for (f, r) in recorded {
            let from = r
                .record
                .as_ref()
                .map(|x| format!(" ({}, <code>{}</code>)", esc(&x.name), esc(&x.sha256)))
                .unwrap_or_default();
            let rows: String = r.fields.iter().map(|(k, v)| format!("{}: {}<br>", esc(k), esc(v))).collect();
            let _ = write!(h.0, "<tr><td>{}</td><td>{}{from}</td><td>{rows}</td></tr>", f.id, esc(&r.format));
        }
        h.push("</table>");
    }
    h.push("</section>");

    // Custody timeline of the selected records.
    let subjects = sel.subjects();
    let mut events: std::collections::VecDeque<SealedEvent> = std::collections::VecDeque::new();
    let mut total = 0usize;
    log::for_each(cat, |e| {
        let keep = e.event.subject().is_some_and(|s| subjects.contains(&s));
        if keep {
            total += 1;
            events.push_back(e);
            if events.len() > MAX_TIMELINE {
                events.pop_front();
            }
        }
        Ok(())
    })?;
    h.push("<section id=\"custody\"><h2>Custody timeline</h2>");
    if total > events.len() {
        let _ = write!(h.0, "<p class=\"meta\">The {} most recent of {total} events.</p>", events.len());
    }
    h.push("<table><tr><th>#</th><th>When</th><th>Record</th><th>Action</th><th>Actor</th><th>Reason</th><th>Hash</th></tr>");
    for e in &events {
        let rec = match (e.event.subject(), e.event.subject_id) {
            (Some(s), _) => s.to_string(),
            (None, Some(id)) => format!("{}:{id}", e.event.subject_type),
            (None, None) => e.event.subject_type.clone(),
        };
        let _ = write!(
            h.0,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            e.event.seq,
            esc(&e.event.at),
            esc(&rec),
            esc(&e.event.action),
            esc(&e.event.actor),
            esc(e.event.reason.as_deref().unwrap_or("")),
            esc(&e.hash_hex()[..16])
        );
    }
    h.push("</table></section>");

    // Last audit.
    h.push("<section id=\"audit\"><h2>Last audit</h2>");
    match cat.last_audit()? {
        Some(a) => {
            let d = &a.event.details;
            let n = |k: &str| d.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            let _ = write!(
                h.0,
                "<p><span class=\"ok\">clean</span> audit (scope {}) recorded as event #{} at {} by {}: {} objects, {} in-place files, {} events, {} records checked; head <code>{}</code>.</p>",
                esc(d.get("scope").and_then(serde_json::Value::as_str).unwrap_or("?")),
                a.event.seq,
                esc(&a.event.at),
                esc(&a.event.actor),
                n("objects"),
                n("in_place_files"),
                n("events"),
                n("records"),
                esc(d.get("head").and_then(serde_json::Value::as_str).unwrap_or("?"))
            );
        }
        None => {
            h.push("<p class=\"bad\">No audit has been recorded for this catalog (run <code>evcat audit</code>).</p>")
        }
    }
    h.push("</section></main></body></html>\n");
    Ok((h.0, warnings))
}

impl Catalog {
    /// `export report OUT.html`.
    pub fn export_report(&mut self, out: &Path, scope: Scope, force: bool) -> Result<FileExport> {
        let sel = Selection::build(self, scope)?;
        let (html, warnings) = render(self, &sel, scope)?;
        let what = Described {
            format: "report",
            scope: scope.to_string(),
            counts: sel.counts(),
            records: sel.record_ids(),
            warnings,
        };
        write_recorded(self, out, force, what, html.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(url_html("javascript:alert(1)"), "javascript:alert(1)");
        assert!(url_html("https://x.example/?a=1&b=<2>").contains("href=\"https://x.example/?a=1&amp;b=&lt;2&gt;\""));
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
