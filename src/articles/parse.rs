//! Article import: format detection, seed / Markdown / HTML parsing to a [`ParsedArticle`].

use chrono::{DateTime, NaiveDate};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use scraper::{ElementRef, Html, Node};

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
        Format::Html => parse_html(&text),
    }
}

fn empty(format: Format) -> ParsedArticle {
    ParsedArticle {
        format,
        title: None,
        published: None,
        author: None,
        publisher: None,
        url: None,
        body: String::new(),
        links: Vec::new(),
    }
}

/// `\r\n` and lone `\r` to `\n`; a leading byte-order mark dropped.
fn normalize_newlines(raw: &str) -> String {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn detect_format(text: &str, ext_hint: Option<&str>) -> Format {
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

// ---------------------------------------------------------------- HTML

/// Elements whose content is never article text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "nav", "footer", "aside",
    "form", "button", "select", "input", "textarea", "head", "meta", "link", "dialog", "menu", "img", "picture",
    "video", "audio", "source", "map",
];

/// Block elements: text before and after them is a separate paragraph.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "figcaption",
    "figure",
    "pre",
    "table",
    "tr",
    "thead",
    "tbody",
    "dl",
    "dt",
    "dd",
    "header",
    "address",
    "hr",
    "body",
    "center",
    "details",
    "summary",
    "caption",
];

/// class / id words marking page furniture rather than article text.
const JUNK: &[&str] = &[
    "advert",
    "advertisement",
    "ad-slot",
    "ad-container",
    "promo",
    "newsletter",
    "cookie",
    "related",
    "share",
    "sharing",
    "share-tools",
    "subscribe",
    "paywall",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "comments",
    "sr-only",
    "visually-hidden",
    "hidden",
    "popup",
    "modal",
    "masthead",
    "site-header",
    "site-footer",
    "social-share",
    "recommended",
    "outbrain",
    "taboola",
];

fn is_junk(el: &ElementRef) -> bool {
    let v = el.value();
    if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = v.attr("style") {
        let s: String = style.to_ascii_lowercase().split_whitespace().collect();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    let mut words = v.classes().map(str::to_ascii_lowercase).collect::<Vec<_>>();
    if let Some(id) = v.id() {
        words.push(id.to_ascii_lowercase());
    }
    words.iter().any(|w| JUNK.contains(&w.as_str()) || w.starts_with("ad-") || w.starts_with("promo"))
}

struct HtmlWalk {
    cur: String,
    paras: Vec<String>,
    links: Vec<String>,
    keep_header: bool,
}

impl HtmlWalk {
    fn walk(&mut self, el: ElementRef, depth: usize) {
        if depth > 256 {
            return; // pathological nesting: stop rather than overflow the stack
        }
        for child in el.children() {
            match child.value() {
                Node::Text(t) => push_inline(&mut self.cur, t),
                Node::Element(e) => {
                    let Some(cel) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let name = e.name();
                    if SKIP.contains(&name) || (name == "header" && !self.keep_header) || is_junk(&cel) {
                        continue;
                    }
                    match name {
                        "br" => self.cur.push('\n'),
                        "pre" => {
                            flush(&mut self.cur, &mut self.paras);
                            let text: String = cel.text().collect();
                            self.cur.push_str(&text);
                            flush(&mut self.cur, &mut self.paras);
                        }
                        "td" | "th" => {
                            push_inline(&mut self.cur, " ");
                            self.walk(cel, depth + 1);
                            push_inline(&mut self.cur, " ");
                        }
                        _ => {
                            if name == "a" {
                                if let Some(h) = e.attr("href") {
                                    push_link(&mut self.links, h);
                                }
                            }
                            let block = BLOCK.contains(&name);
                            if block {
                                flush(&mut self.cur, &mut self.paras);
                            }
                            self.walk(cel, depth + 1);
                            if block {
                                flush(&mut self.cur, &mut self.paras);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn text_len(el: &ElementRef) -> usize {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "p")
        .map(|p| p.text().map(str::len).sum::<usize>())
        .sum()
}

/// The `site | Site name` suffix of a `<title>`, removed.
fn strip_site_suffix(title: &str, publisher: Option<&str>) -> String {
    let t = collapse_ws(title);
    for sep in [" | ", " - ", " – ", " — ", " :: "] {
        if let Some(idx) = t.rfind(sep) {
            let (head, tail) = (&t[..idx], &t[idx + sep.len()..]); // idx from rfind: boundaries
            let tail_is_site = publisher.is_some_and(|p| tail.trim().eq_ignore_ascii_case(p.trim()))
                || (sep == " | " && tail.split_whitespace().count() <= 5);
            if tail_is_site && !head.trim().is_empty() {
                return head.trim().to_string();
            }
        }
    }
    t
}

/// Search JSON-LD for schema.org article fields.
fn json_ld(v: &serde_json::Value, out: &mut JsonLd, depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_ld(x, out, depth + 1)),
        serde_json::Value::Object(m) => {
            let s = |k: &str| m.get(k).and_then(|x| x.as_str()).map(str::to_string);
            out.published = out.published.take().or_else(|| s("datePublished"));
            out.headline = out.headline.take().or_else(|| s("headline"));
            if out.author.is_none() {
                out.author = match m.get("author") {
                    Some(serde_json::Value::String(a)) => Some(a.clone()),
                    Some(serde_json::Value::Object(o)) => o.get("name").and_then(|x| x.as_str()).map(str::to_string),
                    Some(serde_json::Value::Array(a)) => a.iter().find_map(|x| match x {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Object(o) => o.get("name").and_then(|x| x.as_str()).map(str::to_string),
                        _ => None,
                    }),
                    _ => None,
                };
            }
            if out.publisher.is_none() {
                out.publisher =
                    m.get("publisher").and_then(|p| p.get("name")).and_then(|x| x.as_str()).map(str::to_string);
            }
            if let Some(g) = m.get("@graph") {
                json_ld(g, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct JsonLd {
    published: Option<String>,
    headline: Option<String>,
    author: Option<String>,
    publisher: Option<String>,
}

fn parse_html(text: &str) -> ParsedArticle {
    let doc = Html::parse_document(text);
    let mut art = empty(Format::Html);
    let root = doc.root_element();

    let mut og_title = None;
    let mut page_title = None;
    let mut published = None;
    let mut author = None;
    let mut publisher = None;
    let mut og_url = None;
    let mut canonical = None;
    let mut ld = JsonLd::default();
    let mut time_dt = None;
    let mut articles: Vec<ElementRef> = Vec::new();
    let mut main_el = None;
    let mut body_el = None;

    for el in root.descendants().filter_map(ElementRef::wrap) {
        let v = el.value();
        match v.name() {
            "meta" => {
                let key = v.attr("property").or_else(|| v.attr("name")).or_else(|| v.attr("itemprop"));
                let (Some(key), Some(content)) = (key, v.attr("content")) else {
                    continue;
                };
                let content = content.trim();
                if content.is_empty() {
                    continue;
                }
                let set = |slot: &mut Option<String>| {
                    if slot.is_none() {
                        *slot = Some(content.to_string());
                    }
                };
                match key.to_ascii_lowercase().as_str() {
                    "og:title" | "twitter:title" => set(&mut og_title),
                    "article:published_time"
                    | "datepublished"
                    | "date"
                    | "pubdate"
                    | "publishdate"
                    | "publish-date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "sailthru.date"
                    | "parsely-pub-date"
                    | "og:published_time" => set(&mut published),
                    "author" | "article:author" | "parsely-author" | "dc.creator" | "byl"
                        if !content.starts_with("http") =>
                    {
                        set(&mut author)
                    }
                    "og:site_name" | "publisher" | "application-name" => set(&mut publisher),
                    "og:url" => set(&mut og_url),
                    _ => {}
                }
            }
            "link"
                if canonical.is_none()
                    && v.attr("rel")
                        .is_some_and(|r| r.split_whitespace().any(|w| w.eq_ignore_ascii_case("canonical"))) =>
            {
                canonical = v.attr("href").map(|h| h.trim().to_string());
            }
            "title" if page_title.is_none() => page_title = Some(el.text().collect::<String>()),
            "time" if time_dt.is_none() => time_dt = v.attr("datetime").map(str::to_string),
            "script" if v.attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) => {
                let src: String = el.text().collect();
                if let Ok(j) = serde_json::from_str::<serde_json::Value>(&src) {
                    json_ld(&j, &mut ld, 0);
                }
            }
            "article" => articles.push(el),
            "main" if main_el.is_none() => main_el = Some(el),
            "body" if body_el.is_none() => body_el = Some(el),
            _ => {}
        }
    }

    // The content root: the <article> with the most paragraph text, else <main>, else <body>.
    let best_article = articles.into_iter().max_by_key(text_len);
    let (content, keep_header) = match (best_article, main_el, body_el) {
        (Some(a), _, _) => (a, true),
        (None, Some(m), _) => (m, true),
        (None, None, Some(b)) => (b, false),
        (None, None, None) => (root, false),
    };
    let first_h1 = content
        .descendants()
        .filter_map(ElementRef::wrap)
        .chain(root.descendants().filter_map(ElementRef::wrap))
        .find(|e| e.value().name() == "h1")
        .map(|h| collapse_ws(&h.text().collect::<String>()))
        .filter(|h| !h.is_empty());

    let mut w = HtmlWalk { cur: String::new(), paras: Vec::new(), links: Vec::new(), keep_header };
    w.walk(content, 0);
    flush(&mut w.cur, &mut w.paras);

    art.publisher = publisher.or(ld.publisher).map(|p| collapse_ws(&p)).filter(|p| !p.is_empty());
    art.title = og_title
        .map(|t| collapse_ws(&t))
        .or(first_h1)
        .or_else(|| ld.headline.map(|t| collapse_ws(&t)))
        .or_else(|| page_title.map(|t| strip_site_suffix(&t, art.publisher.as_deref())))
        .filter(|t| !t.is_empty());
    art.published = published
        .and_then(|d| normalize_date(&d))
        .or_else(|| ld.published.and_then(|d| normalize_date(&d)))
        .or_else(|| time_dt.and_then(|d| normalize_date(&d)));
    art.author = author.or(ld.author).map(|a| clean_author(&a)).filter(|a| !a.is_empty());
    art.url = og_url.or(canonical).filter(|u| !u.is_empty());
    art.body = w.paras.join("\n\n");
    art.links = w.links;
    art
}
