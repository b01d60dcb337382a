//! Pages as browsers save them: bytes of an `.html` (any charset), an `.mhtml` archive
//! ("Save as: Webpage, single file"), or `page.html` + `page_files/` ("Webpage, complete").
//!
//! Both archive forms replace an embedded frame's address by a local one (`cid:frame-…` in
//! MHTML, `./page_files/x.html` in the folder), which would lose the embedded post's URL. The
//! original address is still there: MHTML keeps it as the frame part's `Content-Location`,
//! and a saved frame file starts with the browser's `<!-- saved from url=(N)… -->` comment.
//! So frame references are rewritten to those URLs before the page is parsed.

use std::path::Path;

use mail_parser::{MessageParser, MimeHeaders};

use super::decode::decode;
use super::meta::saved_from_url;
use super::parse::{detect_format, normalize_newlines};
use super::{parse_article, Format, ParsedArticle};

/// Does this look like an MHTML archive (a MIME message holding an HTML part)?
pub fn looks_mhtml(bytes: &[u8], ext_hint: Option<&str>) -> bool {
    if ext_hint.is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "mhtml" | "mht")) {
        return true;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    head.contains("mime-version:") && head.contains("multipart/related")
}

/// Parse an article from its file bytes: MHTML, or text in any charset (HTML decoded by its
/// BOM / `<meta charset>`, checked against the bytes). Errors are messages for the user.
pub fn parse_article_bytes(bytes: &[u8], ext_hint: Option<&str>) -> Result<ParsedArticle, String> {
    parse_saved(bytes, ext_hint, &[])
}

/// [`parse_article_bytes`] with the frame URLs of a "Webpage, complete" folder ([`frame_urls`]).
pub fn parse_saved(bytes: &[u8], ext_hint: Option<&str>, frames: &[(String, String)]) -> Result<ParsedArticle, String> {
    if looks_mhtml(bytes, ext_hint) {
        return parse_mhtml(bytes);
    }
    let lossy = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let is_html = detect_format(&normalize_newlines(&lossy), ext_hint) == Format::Html;
    if !is_html && std::str::from_utf8(bytes).is_err() {
        let at = std::str::from_utf8(bytes).err().map_or(0, |e| e.valid_up_to());
        return Err(format!("not UTF-8 text (invalid byte at offset {at}); convert it to UTF-8 first"));
    }
    let d = decode(bytes, is_html);
    let text = rewrite_frames(d.text, frames);
    let mut art = parse_article(&text, ext_hint);
    if let Some(p) = art.page.as_mut() {
        p.encoding = Some(format!("{} ({})", d.encoding, d.reason));
        if !frames.is_empty() {
            p.saved_as = Some("webpage, complete".into());
        }
    }
    Ok(art)
}

/// Replace each local frame address by the URL it was saved from.
fn rewrite_frames(mut text: String, frames: &[(String, String)]) -> String {
    for (local, url) in frames {
        for q in ['"', '\''] {
            text = text.replace(&format!("{q}{local}{q}"), &format!("{q}{url}{q}"));
        }
    }
    text
}

fn parse_mhtml(bytes: &[u8]) -> Result<ParsedArticle, String> {
    let msg = MessageParser::default().parse(bytes).ok_or("not a readable MHTML archive (no MIME structure)")?;
    let snapshot = msg.header_raw("Snapshot-Content-Location").map(|s| s.trim().to_string());
    let mut main: Option<(String, Option<String>)> = None;
    let mut frames: Vec<(String, String)> = Vec::new();
    for part in msg.parts.iter().filter(|p| p.is_text_html()) {
        let location = part.content_location().map(|s| s.trim().to_string());
        let Some(html) = part.text_contents() else { continue };
        let is_main = main.is_none() && (snapshot.is_none() || location == snapshot);
        if is_main {
            main = Some((html.to_string(), location));
        } else if let (Some(cid), Some(loc)) = (part.content_id(), location) {
            frames.push((format!("cid:{}", cid.trim_matches(['<', '>'])), loc));
        }
    }
    let (html, location) = main.ok_or("the MHTML archive holds no HTML page")?;
    let text = rewrite_frames(html, &frames);
    let mut art = parse_article(&text, Some("html"));
    if art.url.is_none() {
        if let (Some(loc), Some(p)) = (location.filter(|l| l.starts_with("http")), art.page.as_mut()) {
            p.sources.insert("url".into(), "mhtml Content-Location".into());
            art.url = Some(loc);
        }
    }
    if let Some(p) = art.page.as_mut() {
        p.saved_as = Some("mhtml".into());
        p.encoding = Some("MIME part charset".into());
    }
    Ok(art)
}

/// Most frames a saved folder is searched for, and how much of each frame file is read.
const MAX_FRAMES: usize = 256;
const FRAME_HEAD: usize = 4096;

/// For `page.html` saved "complete": every `src="…"` pointing into the page's `_files`
/// folder whose file carries a `saved from url` comment, as (local src, original URL).
pub fn frame_urls(page: &Path, html: &str) -> Vec<(String, String)> {
    let Some(stem) = page.file_stem().and_then(|s| s.to_str()) else { return Vec::new() };
    let dir = page.parent().unwrap_or(Path::new("."));
    let folder = format!("{stem}_files");
    if !dir.join(&folder).is_dir() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for piece in html.split("src=").skip(1) {
        if out.len() >= MAX_FRAMES {
            break;
        }
        let Some(q) = piece.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let Some(val) = piece[1..].split(q).next() else { continue };
        let rel = val.strip_prefix("./").unwrap_or(val);
        let Some(inner) = rel.strip_prefix(&format!("{folder}/")) else { continue };
        if inner.contains("..") || !(inner.ends_with(".html") || inner.ends_with(".htm")) {
            continue;
        }
        let Ok(mut f) = std::fs::File::open(dir.join(&folder).join(inner)) else { continue };
        let mut head = vec![0u8; FRAME_HEAD];
        let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
        if let Some(url) = saved_from_url(&String::from_utf8_lossy(&head[..n])) {
            if !out.iter().any(|(l, _): &(String, String)| l == val) {
                out.push((val.to_string(), url));
            }
        }
    }
    out
}

/// The page inside a "Webpage, complete" folder: the one `.html`/`.htm` file that has a
/// `NAME_files` folder beside it, else the only HTML file.
pub fn page_in_folder(dir: &Path) -> Result<std::path::PathBuf, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list the folder: {e}"))?;
    let mut html = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file()
            && p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "html" | "htm" | "mhtml" | "mht"))
        {
            html.push(p);
        }
    }
    html.sort();
    let with_files: Vec<_> = html
        .iter()
        .filter(|p| {
            p.file_stem().and_then(|s| s.to_str()).is_some_and(|s| p.with_file_name(format!("{s}_files")).is_dir())
        })
        .cloned()
        .collect();
    match (with_files.as_slice(), html.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one.clone()),
        ([], []) => Err("no .html page in the folder".into()),
        _ => Err(format!("{} HTML pages in the folder; give the page's file instead", html.len())),
    }
}
