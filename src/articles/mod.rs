//! Article import and evidence-reference detection: pure text processing, no database.
//!
//! - [`parse_article`]: plain text, the seed format, Markdown and HTML to a [`ParsedArticle`]
//!   whose `body` is the text claims are marked in; [`parse_article_bytes`] from file bytes
//!   (any charset, `.mhtml` archives). For HTML pages the body is the main text only
//!   (`extract`), with page metadata and its sources (`meta`) and the embedded posts and media
//!   anchored to the sentence or paragraph they sit in (`embeds`), in [`ParsedArticle::page`].
//! - [`split_sentences`]: sentences as UTF-8 byte [`Span`]s into the body.
//! - [`detect_evidence`]: sentences that cite media (video, image, audio, web posts), with the
//!   kind, platform, live flag and the cue words that triggered them.
//! - [`find_quote`]: locate a quoted passage in a body (exact, then tolerant), for claims.
//! - [`body_sha256`]: the body's hash, for idempotent import.
//!
//! This module depends on nothing else in the crate.

mod decode;
mod detect;
mod detect_lang;
pub mod embeds;
#[cfg(test)]
mod eval;
mod extract;
mod meta;
mod page;
mod parse;
mod quote;
mod saved;
mod sentences;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod web_tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use decode::{decode, Decoded};
pub use detect::{detect_evidence, detect_evidence_in};
pub use meta::primary_language;
pub use parse::parse_article;
pub use quote::find_quote;
pub use saved::{frame_urls, looks_mhtml, page_in_folder, parse_article_bytes, parse_saved};
pub use sentences::split_sentences;

/// The format an article was imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text: the body is the text verbatim.
    Plain,
    /// The seed format: first line ` date YYYY-MM-DD <first paragraph>`, paragraphs separated by
    /// blank lines, last line `Originally published as <title>`. Body kept verbatim.
    Seed,
    /// Markdown (optionally with YAML-style front matter), rendered to plain text.
    Markdown,
    /// An HTML page; the visible article text is kept.
    Html,
}

impl Format {
    /// The lowercase name used in serialization ("plain", "seed", "markdown", "html").
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Seed => "seed",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// An imported article: metadata found in the text plus the body claims are marked in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedArticle {
    pub format: Format,
    pub title: Option<String>,
    /// `YYYY-MM-DD`.
    pub published: Option<String>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    pub url: Option<String>,
    /// Plain and Seed: the raw text (line endings normalized to `\n`). Markdown and HTML: the
    /// rendered text, paragraphs separated by blank lines.
    pub body: String,
    /// Link targets found in Markdown article text, or the canonical URLs of an HTML page's
    /// embeds (in document order, deduplicated).
    pub links: Vec<String>,
    /// HTML pages only: what the page says about itself and what it embeds.
    pub page: Option<PageInfo>,
}

/// Metadata and embeds of an HTML page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    /// `<html lang>` (or JSON-LD `inLanguage`, `og:locale`), as written ("de-DE").
    pub lang: Option<String>,
    /// `YYYY-MM-DD` of the last modification the page states.
    pub modified: Option<String>,
    /// `<link rel=canonical>`.
    pub canonical_url: Option<String>,
    /// Metadata field ("title", "author", "published", "modified", "publisher", "url",
    /// "canonical_url", "lang") -> the tag its value came from ("json-ld NewsArticle.headline",
    /// "meta og:title", "link rel=canonical", "html lang", ...).
    pub sources: BTreeMap<String, String>,
    /// Embedded posts and media in the main text, in document order.
    pub embeds: Vec<Embed>,
    /// How the bytes were decoded ("windows-1252 (meta)"), when read from bytes.
    pub encoding: Option<String>,
    /// "mhtml" or "webpage, complete" for saved-page archives.
    pub saved_as: Option<String>,
}

/// An embedded post or media item of an HTML page's main text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Embed {
    /// The sentence (in-text links) or paragraph (blockquotes, captions, the paragraph before
    /// an iframe) it sits in: the span its claim is marked on.
    pub span: Span,
    /// How it was found: "blockquote.twitter-tweet", "iframe", "link", "img", "video", ...
    pub how: String,
    /// evcat platform name, None for media on the open web.
    pub platform: Option<String>,
    /// Canonical URL ([`embeds::canonical`]).
    pub url: String,
    pub platform_id: Option<String>,
    /// "video" | "image" | "web".
    pub kind: String,
    pub caption: Option<String>,
}

/// A sentence (or quote) as UTF-8 byte offsets into a body: `&body[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The spanned text, or "" if the span does not fit `body` (never panics).
    pub fn text(self, body: &str) -> &str {
        body.get(self.start..self.end).unwrap_or("")
    }
}

/// A sentence detected as citing media evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The sentence.
    pub span: Span,
    /// Evidence kind: "video" | "image" | "audio" | "web".
    pub kind: String,
    /// "tiktok", "x", "youtube", "facebook", "instagram", "telegram", "twitch", "reddit",
    /// "snapchat", "parler", "rumble", "whatsapp".
    pub platform: Option<String>,
    /// Livestream / streamed live / Facebook Live ...
    pub live: bool,
    /// The words that triggered the detection, for the human reviewer.
    pub cues: Vec<String>,
    /// 0.0..=1.0: 0.9 a media noun with an explicit citing verb or strong evidence noun,
    /// 0.7 media noun with weaker context, 0.5 a text post cited as the source of a statement.
    pub confidence: f32,
}

/// Result of [`find_quote`].
#[derive(Debug, Clone, PartialEq)]
pub enum QuoteMatch {
    /// Exactly one occurrence (exact, or tolerant of whitespace / quote style / case).
    Unique(Span),
    /// Absent; up to 3 sentences sharing the most words with the quote, with their text.
    NotFound { suggestions: Vec<(Span, String)> },
    /// More than one occurrence.
    Ambiguous(Vec<Span>),
}

/// SHA-256 hex (lowercase) of the body's UTF-8 bytes.
pub fn body_sha256(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";
