//! Page metadata with the tag each value came from: schema.org JSON-LD (`NewsArticle` and the
//! other article types, also inside `@graph`), OpenGraph and `article:*` meta tags, other
//! common meta names, `<link rel=canonical>`, `<html lang>`, `<time datetime>`, `<h1>` and
//! `<title>`.
//!
//! Order of preference per field (first found wins): title: `og:title`, JSON-LD `headline`,
//! the first `<h1>`, `<title>` without the site name; author: JSON-LD `author`, meta
//! `author`/`article:author`; dates: JSON-LD, then `article:*`, then other meta, then
//! `<time>`; publisher: `og:site_name`, JSON-LD `publisher.name`; url: `<link rel=canonical>`,
//! `og:url`, JSON-LD `url`/`mainEntityOfPage`; language: `<html lang>`, JSON-LD
//! `inLanguage`, `og:locale`, `content-language`.

use std::collections::BTreeMap;

use scraper::Html;
use serde_json::Value;

use super::parse::normalize_date;

/// One metadata value and where it came from ("json-ld NewsArticle.headline", "meta og:title").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    pub value: String,
    pub source: String,
}

#[derive(Debug, Default, Clone)]
pub struct PageMeta {
    pub fields: BTreeMap<&'static str, Sourced>,
    /// JSON-LD `articleBody` with its line breaks (pages that render their text by script).
    pub article_body: Option<String>,
}

impl PageMeta {
    fn offer(&mut self, field: &'static str, value: Option<String>, source: impl Into<String>) {
        let Some(v) = value.map(|v| collapse(&v)).filter(|v| !v.is_empty()) else { return };
        self.fields.entry(field).or_insert(Sourced { value: v, source: source.into() });
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(|s| s.value.as_str())
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "LiveBlogPosting",
    "BlogPosting",
    "ScholarlyArticle",
    "Report",
];

fn types(m: &serde_json::Map<String, Value>) -> Vec<String> {
    match m.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Article objects in a JSON-LD document (top level, arrays, `@graph`), depth-limited.
fn article_objects<'a>(v: &'a Value, depth: usize, out: &mut Vec<(&'a serde_json::Map<String, Value>, String)>) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| article_objects(x, depth + 1, out)),
        Value::Object(m) => {
            if let Some(t) = types(m).into_iter().find(|t| ARTICLE_TYPES.contains(&t.as_str())) {
                out.push((m, t));
            }
            if let Some(g) = m.get("@graph") {
                article_objects(g, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn names(v: &Value) -> Option<String> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let list: Vec<String> = match v {
        Value::Array(a) => a.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    let list: Vec<String> =
        list.into_iter().map(|n| collapse(&n)).filter(|n| !n.is_empty() && !n.starts_with("http")).collect();
    (!list.is_empty()).then(|| list.join(", "))
}

fn json_ld(meta: &mut PageMeta, doc: &Html) {
    for el in doc.root_element().descendent_elements() {
        let v = el.value();
        if v.name() != "script" || !v.attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
        {
            continue;
        }
        let src: String = el.text().collect();
        let Ok(j) = serde_json::from_str::<Value>(src.trim().trim_end_matches(';')) else { continue };
        let mut objs = Vec::new();
        article_objects(&j, 0, &mut objs);
        for (m, t) in objs {
            let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
            let src = |k: &str| format!("json-ld {t}.{k}");
            meta.offer("title", s("headline"), src("headline"));
            meta.offer("author", m.get("author").and_then(names), src("author"));
            meta.offer("published", s("datePublished").and_then(|d| normalize_date(&d)), src("datePublished"));
            meta.offer("modified", s("dateModified").and_then(|d| normalize_date(&d)), src("dateModified"));
            meta.offer("publisher", m.get("publisher").and_then(names), src("publisher"));
            let url = s("url").or_else(|| match m.get("mainEntityOfPage") {
                Some(Value::String(u)) => Some(u.clone()),
                Some(Value::Object(o)) => o.get("@id").and_then(Value::as_str).map(str::to_string),
                _ => None,
            });
            meta.offer("url_ld", url.filter(|u| u.starts_with("http")), src("url"));
            meta.offer("lang", s("inLanguage"), src("inLanguage"));
            if meta.article_body.is_none() {
                meta.article_body = s("articleBody").filter(|b| !b.trim().is_empty());
            }
        }
    }
}

fn meta_tags(meta: &mut PageMeta, doc: &Html) {
    for el in doc.root_element().descendent_elements() {
        let v = el.value();
        match v.name() {
            "meta" => {
                let Some(key) = v
                    .attr("property")
                    .or_else(|| v.attr("name"))
                    .or_else(|| v.attr("itemprop"))
                    .or_else(|| v.attr("http-equiv"))
                else {
                    continue;
                };
                let content = v.attr("content").map(str::to_string);
                let k = key.trim().to_ascii_lowercase();
                let tag = format!("meta {k}");
                let date = |c: Option<String>| c.and_then(|d| normalize_date(&d));
                match k.as_str() {
                    "og:title" | "twitter:title" => meta.offer("title_og", content, tag),
                    "article:published_time" | "og:published_time" => meta.offer("published_art", date(content), tag),
                    "article:modified_time" | "og:updated_time" => meta.offer("modified_art", date(content), tag),
                    "datepublished" | "date" | "pubdate" | "publishdate" | "publish-date" | "dc.date"
                    | "dc.date.issued" | "dcterms.date" | "sailthru.date" | "parsely-pub-date" => {
                        meta.offer("published_other", date(content), tag)
                    }
                    "datemodified" | "last-modified" | "dcterms.modified" => {
                        meta.offer("modified_other", date(content), tag)
                    }
                    "author" | "article:author" | "parsely-author" | "dc.creator" | "byl" | "sailthru.author" => {
                        let a = content.map(|a| clean_author(&a)).filter(|a| !a.starts_with("http"));
                        meta.offer("author_meta", a, tag)
                    }
                    "og:site_name" | "application-name" | "publisher" => meta.offer("publisher_og", content, tag),
                    "og:url" => meta.offer("url_og", content.filter(|u| u.starts_with("http")), tag),
                    "og:locale" | "content-language" | "dc.language" | "language" => {
                        meta.offer("lang_meta", content.map(|l| l.replace('_', "-")), tag)
                    }
                    _ => {}
                }
            }
            "link"
                if v.attr("rel").is_some_and(|r| r.split_whitespace().any(|w| w.eq_ignore_ascii_case("canonical"))) =>
            {
                meta.offer(
                    "canonical",
                    v.attr("href").map(str::to_string).filter(|u| u.starts_with("http")),
                    "link rel=canonical",
                )
            }
            "time" => meta.offer("published_time", v.attr("datetime").and_then(normalize_date), "time datetime"),
            "title" => meta.offer("title_tag", Some(el.text().collect::<String>()), "title"),
            _ => {}
        }
    }
    let html = doc.root_element();
    meta.offer(
        "lang_html",
        html.value().attr("lang").or_else(|| html.value().attr("xml:lang")).map(str::to_string),
        "html lang",
    );
}

fn clean_author(a: &str) -> String {
    let a = collapse(a);
    let stripped = ["By ", "by ", "Von ", "von ", "Par ", "par ", "Por ", "por "]
        .iter()
        .find_map(|p| a.strip_prefix(p))
        .unwrap_or(&a);
    stripped.trim().to_string()
}

/// The `site | Site name` suffix of a `<title>`, removed.
fn strip_site_suffix(title: &str, publisher: Option<&str>) -> String {
    let t = collapse(title);
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

/// The page's metadata. `h1` is the extractor's headline (the first visible `<h1>`).
pub fn page_meta(doc: &Html, h1: Option<&str>) -> PageMeta {
    let mut raw = PageMeta::default();
    json_ld(&mut raw, doc);
    meta_tags(&mut raw, doc);
    let mut out = PageMeta::default();
    let mut take = |field: &'static str, from: &[&str]| {
        for f in from {
            if let Some(s) = raw.fields.get(f) {
                out.fields.insert(field, s.clone());
                return;
            }
        }
    };
    take("author", &["author", "author_meta"]);
    take("published", &["published", "published_art", "published_other", "published_time"]);
    take("modified", &["modified", "modified_art", "modified_other"]);
    take("publisher", &["publisher_og", "publisher"]);
    take("url", &["canonical", "url_og", "url_ld"]);
    take("canonical_url", &["canonical"]);
    take("lang", &["lang_html", "lang", "lang_meta"]);
    take("title", &["title_og", "title"]);
    if !out.fields.contains_key("title") {
        if let Some(h) = h1 {
            out.offer("title", Some(h.to_string()), "h1");
        } else if let Some(t) = raw.fields.get("title_tag") {
            let stripped = strip_site_suffix(&t.value, out.get("publisher"));
            out.offer("title", Some(stripped), "title");
        }
    }
    out.article_body = raw.article_body.take();
    if let Some(l) = out.fields.get_mut("lang") {
        l.value = l.value.split([',', ';']).next().unwrap_or("").trim().to_string();
    }
    out
}

/// The primary language subtag ("de" for "de-AT"), lowercased.
pub fn primary_language(lang: &str) -> String {
    lang.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase()
}

/// `<!-- saved from url=(0044)https://... -->`, written by browsers into saved pages.
pub fn saved_from_url(text: &str) -> Option<String> {
    let head = text.get(..text.len().min(2048)).unwrap_or(text);
    let at = head.find("saved from url=(")?;
    let rest = &head[at + "saved from url=(".len()..];
    let close = rest.find(')')?;
    let url = rest[close + 1..].split_whitespace().next()?.trim_end_matches("-->");
    url.starts_with("http").then(|| url.to_string())
}
