//! An HTML page to a [`ParsedArticle`]: main text ([`super::extract`]), metadata with sources
//! ([`super::meta`]) and the embedded posts anchored to the sentence or paragraph they sit in
//! ([`super::embeds`]).

use std::collections::BTreeMap;

use scraper::Html;
use url::Url;

use super::embeds::canonical;
use super::extract::{extract, Anchored, Block};
use super::meta::{page_meta, saved_from_url};
use super::parse::empty;
use super::{split_sentences, Embed, Format, PageInfo, ParsedArticle, Span};

/// Parse a page (already decoded text).
pub(crate) fn parse_html(text: &str) -> ParsedArticle {
    let doc = Html::parse_document(text);
    let mut ex = extract(&doc);
    let meta = page_meta(&doc, ex.headline.as_deref());
    let mut sources_extra = Vec::new();
    if let Some(ld_body) = &meta.article_body {
        // Pages that write their text with a script carry it in JSON-LD `articleBody`.
        let extracted: usize = ex.blocks.iter().map(|b| b.text.len()).sum();
        if ld_body.len() > 500 && ld_body.len() * 2 > extracted * 3 {
            let mut blocks: Vec<Block> = ex.headline.iter().map(|h| Block { text: h.clone() }).collect();
            blocks.extend(
                ld_body
                    .split('\n')
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|l| !l.is_empty())
                    .map(|text| Block { text }),
            );
            ex.blocks = blocks;
            for e in &mut ex.embeds {
                e.first = 0;
                e.end = 0;
            }
            sources_extra.push(("body".to_string(), "json-ld articleBody".to_string()));
        }
    }
    let mut sources: BTreeMap<String, String> =
        meta.fields.iter().map(|(k, v)| ((*k).to_string(), v.source.clone())).collect();
    sources.extend(sources_extra);
    let mut url = meta.get("url").map(str::to_string);
    if url.is_none() {
        if let Some(u) = saved_from_url(text) {
            sources.insert("url".into(), "saved from url comment".into());
            url = Some(u);
        }
    }
    let base = url.as_deref().and_then(|u| Url::parse(u).ok());

    let (body, spans) = join(&ex.blocks);
    let embeds = anchor(&ex.embeds, &body, &spans, base.as_ref());
    let mut links = Vec::new();
    for e in &embeds {
        if !links.contains(&e.url) {
            links.push(e.url.clone());
        }
    }

    let mut art = empty(Format::Html);
    art.title = meta.get("title").map(str::to_string);
    art.published = meta.get("published").map(str::to_string);
    art.author = meta.get("author").map(str::to_string);
    art.publisher = meta.get("publisher").map(str::to_string);
    art.url = url;
    art.body = body;
    art.links = links;
    art.page = Some(PageInfo {
        lang: meta.get("lang").map(str::to_string),
        modified: meta.get("modified").map(str::to_string),
        canonical_url: meta.get("canonical_url").map(str::to_string),
        sources,
        embeds,
        encoding: None,
        saved_as: None,
    });
    art
}

/// Blocks joined by blank lines, and each block's span in the result.
fn join(blocks: &[Block]) -> (String, Vec<Span>) {
    let mut body = String::new();
    let mut spans = Vec::with_capacity(blocks.len());
    for b in blocks {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        let start = body.len();
        body.push_str(&b.text);
        spans.push(Span { start, end: body.len() });
    }
    (body, spans)
}

/// The sentence of block `span` holding `needle`, or the block when it is not found.
fn sentence_with(body: &str, span: Span, needle: &str) -> Option<Span> {
    let block = span.text(body);
    let at = block.find(needle)?;
    let abs = span.start + at;
    split_sentences(block)
        .into_iter()
        .map(|s| Span { start: s.start + span.start, end: s.end + span.start })
        .find(|s| s.start <= abs && abs < s.end)
        .or(Some(span))
}

/// Spans for the found embeds: a blockquote's own text; an in-text link's sentence; for
/// media, the caption's block, else the paragraph before it, else the one after it.
fn anchor(found: &[Anchored], body: &str, spans: &[Span], base: Option<&Url>) -> Vec<Embed> {
    let mut out = Vec::new();
    for a in found {
        let Some(m) = canonical(&a.found.url, base) else { continue };
        let span = if let Some(text) = a.link_text.as_deref().filter(|t| !t.is_empty()) {
            (a.first..(a.first + 2).min(spans.len())).find_map(|i| sentence_with(body, spans[i], text))
        } else if a.first < a.end && a.end <= spans.len() {
            Some(Span { start: spans[a.first].start, end: spans[a.end - 1].end })
        } else {
            let by_caption = a.found.caption.as_deref().and_then(|c| {
                (a.first.saturating_sub(1)..(a.first + 3).min(spans.len())).find(|&i| spans[i].text(body).contains(c))
            });
            by_caption
                .or_else(|| a.first.checked_sub(1).filter(|&i| i < spans.len()))
                .or_else(|| (a.first < spans.len()).then_some(a.first))
                .map(|i| spans[i])
        };
        let Some(span) = span else { continue };
        let kind = a.found.kind.unwrap_or(m.kind);
        out.push(Embed {
            span,
            how: a.found.how.to_string(),
            platform: m.platform.map(str::to_string),
            url: m.url,
            platform_id: m.id,
            kind: kind.to_string(),
            caption: a.found.caption.clone(),
        });
    }
    out
}
