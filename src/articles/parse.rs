//! Article import: format detection, seed / Markdown / HTML parsing to a [`ParsedArticle`].

use chrono::{DateTime, NaiveDate};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::sentences::{seed_date_prefix, seed_trailer};
use super::{Format, ParsedArticle};

/// Parse an article, detecting its format from the content and the optional file-name
/// extension hint ("md", "html", "htm", "txt", ...). Never panics.
pub fn parse_article(raw: &str, ext_hint: Option<&str>) -> ParsedArticle {
    let text = normalize_newlines(raw);
    match detect_format(&text, ext_hint) {
        Format::Plain => ParsedArticle { body: text, ..empty(Format::Plain) },
        Format::Seed => parse_seed(text),
        Format::Markdown => parse_markdown(&text),
        Format::Html => super::page::parse_html(&text),
    }
}

pub(crate) fn empty(format: Format) -> ParsedArticle {
    ParsedArticle {
        format,
        title: None,
        published: None,
        author: None,
        publisher: None,
        url: None,
        body: String::new(),
        links: Vec::new(),
        page: None,
    }
}

/// `\r\n` and lone `\r` to `\n`; a leading byte-order mark dropped.
pub(crate) fn normalize_newlines(raw: &str) -> String {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

pub(crate) fn detect_format(text: &str, ext_hint: Option<&str>) -> Format {
    let ext = ext_hint.map(|e| e.trim_start_matches('.').to_ascii_lowercase());
    match ext.as_deref() {
        Some("md" | "markdown" | "mdown" | "mkd" | "mkdn") => return Format::Markdown,
        Some("html" | "htm" | "xhtml" | "shtml") => return Format::Html,
        Some("txt" | "text") => {
            return if is_seed(text) { Format::Seed } else { Format::Plain };
        }
        _ => {}
    }
    if looks_html(text) {
        Format::Html
    } else if is_seed(text) {
        Format::Seed
    } else if looks_markdown(text) {
        Format::Markdown
    } else {
        Format::Plain
    }
}

fn is_seed(text: &str) -> bool {
    seed_date_prefix(text).is_some() || seed_trailer(text).is_some()
}

fn looks_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(2048).collect::<String>().to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    let tags = ["</p>", "<br", "</div>", "<body", "<article", "</h1>", "</li>"];
    tags.iter().map(|t| lower.matches(t).count()).sum::<usize>() >= 2 && head.starts_with('<')
}

fn looks_markdown(text: &str) -> bool {
    if front_matter(text).is_some() {
        return true;
    }
    let mut signals = 0;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("# ") || t.starts_with("## ") || t.starts_with("### ") {
            signals += 2;
        }
        if t.starts_with("> ") || t.starts_with("* ") || t.starts_with("```") {
            signals += 1;
        }
        if line.contains("](") && line.contains('[') {
            signals += 1;
        }
        if line.contains("**") || line.contains("__") {
            signals += 1;
        }
    }
    signals >= 2
}

// ---------------------------------------------------------------- seed

fn parse_seed(text: String) -> ParsedArticle {
    let published = seed_date_prefix(&text).and_then(|(_, d)| normalize_date(&d));
    let title = seed_trailer(&text).map(|(_, _, t)| t).filter(|t| !t.is_empty());
    ParsedArticle { title, published, body: text, ..empty(Format::Seed) }
}

// ---------------------------------------------------------------- dates

/// A date in many spellings to `YYYY-MM-DD`; None if it is not a valid date.
pub(crate) fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if let Some(head) = s.get(..10) {
        if let Ok(d) = NaiveDate::parse_from_str(head, "%Y-%m-%d") {
            return Some(d.format("%Y-%m-%d").to_string());
        }
        if let Ok(d) = NaiveDate::parse_from_str(head, "%Y/%m/%d") {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    let cleaned: String = s.replace(',', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    for fmt in ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%A %B %d %Y", "%A %d %B %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&cleaned, fmt) {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    None
}

// ---------------------------------------------------------------- Markdown

/// YAML-style front matter: `---` line, `key: value` lines, `---` (or `...`) line.
/// Returns the (lowercased key, value) pairs and the byte offset where the document starts.
fn front_matter(text: &str) -> Option<(Vec<(String, String)>, usize)> {
    let first = text.lines().next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let mut pos = first.len() + 1;
    let mut pairs = Vec::new();
    for line in text.get(pos..)?.split_inclusive('\n') {
        pos += line.len();
        let t = line.trim();
        if t == "---" || t == "..." {
            return Some((pairs, pos.min(text.len())));
        }
        if let Some((k, v)) = t.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if !k.is_empty() && !k.contains(' ') {
                pairs.push((k, unquote(v.trim()).to_string()));
            }
        }
    }
    None
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1]; // both ends are one-byte ASCII quotes
        }
    }
    v
}

fn fm_get(pairs: &[(String, String)], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        pairs.iter().find(|(pk, v)| pk == k && !v.is_empty()).map(|(_, v)| {
            // `[a, b]` lists: the first item.
            let v = v.trim();
            match v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                Some(inner) => unquote(inner.split(',').next().unwrap_or("").trim()).to_string(),
                None => v.to_string(),
            }
        })
    })
}

fn parse_markdown(text: &str) -> ParsedArticle {
    let mut art = empty(Format::Markdown);
    let mut doc = text;
    if let Some((pairs, start)) = front_matter(text) {
        art.title = fm_get(&pairs, &["title", "headline"]);
        art.published = fm_get(&pairs, &["date", "published", "pubdate", "publish_date", "published_at"])
            .and_then(|d| normalize_date(&d));
        art.author = fm_get(&pairs, &["author", "authors", "byline"]).map(|a| clean_author(&a));
        art.publisher = fm_get(&pairs, &["publisher", "source", "site", "site_name", "publication"]);
        art.url = fm_get(&pairs, &["url", "link", "canonical", "canonical_url", "permalink", "source_url"]);
        doc = text.get(start..).unwrap_or("");
    }
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_image = 0usize;
    let mut in_h1: Option<String> = None;
    let mut first_h1: Option<String> = None;
    let mut in_code = false;
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    for ev in Parser::new_ext(doc, opts) {
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph | Tag::BlockQuote(_) | Tag::Item | Tag::TableRow | Tag::TableHead => {
                    flush(&mut cur, &mut paras)
                }
                Tag::Heading { level, .. } => {
                    flush(&mut cur, &mut paras);
                    if level == HeadingLevel::H1 && first_h1.is_none() {
                        in_h1 = Some(String::new());
                    }
                }
                Tag::CodeBlock(_) => {
                    flush(&mut cur, &mut paras);
                    in_code = true;
                }
                Tag::Link { dest_url, .. } => push_link(&mut art.links, &dest_url),
                Tag::Image { dest_url, .. } => {
                    push_link(&mut art.links, &dest_url);
                    in_image += 1;
                }
                Tag::TableCell if !cur.is_empty() && !cur.ends_with(' ') => cur.push(' '),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead => {
                    flush(&mut cur, &mut paras)
                }
                TagEnd::Heading(_) => {
                    if let Some(h) = in_h1.take() {
                        let h = collapse_ws(&h);
                        if !h.is_empty() {
                            first_h1 = Some(h);
                        }
                    }
                    flush(&mut cur, &mut paras);
                }
                TagEnd::CodeBlock => {
                    in_code = false;
                    flush(&mut cur, &mut paras);
                }
                TagEnd::Image => in_image = in_image.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) | Event::Code(t) if in_image == 0 => {
                if in_code {
                    cur.push_str(&t);
                } else {
                    push_inline(&mut cur, &t);
                }
                if let Some(h) = in_h1.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::SoftBreak => push_inline(&mut cur, " "),
            Event::HardBreak => cur.push('\n'),
            Event::Rule => flush(&mut cur, &mut paras),
            _ => {}
        }
    }
    flush(&mut cur, &mut paras);
    if first_h1.is_some() {
        art.title = first_h1;
    }
    art.body = paras.join("\n\n");
    art
}

fn push_link(links: &mut Vec<String>, href: &str) {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') || href.to_ascii_lowercase().starts_with("javascript:") {
        return;
    }
    if !links.iter().any(|l| l == href) {
        links.push(href.to_string());
    }
}

/// Append inline text, collapsing whitespace runs to one space.
fn push_inline(cur: &mut String, t: &str) {
    for c in t.chars() {
        if c.is_whitespace() {
            if !cur.is_empty() && !cur.ends_with([' ', '\n']) {
                cur.push(' ');
            }
        } else {
            cur.push(c);
        }
    }
}

/// End the current paragraph: trim its lines; a blank line inside (e.g. `<br><br>`) splits it.
fn flush(cur: &mut String, paras: &mut Vec<String>) {
    let mut block: Vec<&str> = Vec::new();
    for line in cur.split('\n') {
        let l = line.trim();
        if l.is_empty() {
            if !block.is_empty() {
                paras.push(block.join("\n"));
                block.clear();
            }
        } else {
            block.push(l);
        }
    }
    if !block.is_empty() {
        paras.push(block.join("\n"));
    }
    cur.clear();
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clean_author(a: &str) -> String {
    let a = collapse_ws(a);
    let stripped = a.strip_prefix("By ").or_else(|| a.strip_prefix("by ")).unwrap_or(&a);
    stripped.trim().to_string()
}
