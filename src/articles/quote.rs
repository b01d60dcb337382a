//! Locating a quoted passage in an article body.

use std::collections::HashSet;

use super::sentences::split_sentences;
use super::{QuoteMatch, Span};

/// Find the exact span of `quote` in `body`.
///
/// 1. Exact substring (of the quote trimmed of surrounding whitespace).
/// 2. Else, tolerant: whitespace runs, curly vs straight quotes/apostrophes, dashes and case
///    are ignored; the span returned is in the ORIGINAL body.
/// 3. Else `NotFound` with up to 3 sentences sharing the most words with the quote.
///
/// `Ambiguous` when the quote occurs more than once.
pub fn find_quote(body: &str, quote: &str) -> QuoteMatch {
    let q = quote.trim();
    if q.is_empty() {
        return QuoteMatch::NotFound { suggestions: Vec::new() };
    }
    let exact: Vec<Span> = body.match_indices(q).map(|(s, m)| Span { start: s, end: s + m.len() }).collect();
    if let Some(m) = verdict(exact) {
        return m;
    }
    let (nbody, map) = normalize(body);
    let (nquote, _) = normalize(q);
    let nquote = nquote.trim_matches(' ');
    if !nquote.is_empty() {
        let mut spans = Vec::new();
        for (s, m) in nbody.match_indices(nquote) {
            // `map` has one entry per normalized byte (see `normalize`).
            let (Some(&(start, _)), Some(&(_, end))) = (map.get(s), map.get(s + m.len() - 1)) else {
                continue;
            };
            spans.push(Span { start, end });
        }
        if let Some(m) = verdict(spans) {
            return m;
        }
    }
    QuoteMatch::NotFound { suggestions: suggestions(body, q) }
}

fn verdict(spans: Vec<Span>) -> Option<QuoteMatch> {
    match spans.len() {
        0 => None,
        1 => spans.into_iter().next().map(QuoteMatch::Unique),
        _ => Some(QuoteMatch::Ambiguous(spans)),
    }
}

fn fold_char(c: char) -> char {
    match c {
        '‘' | '’' | '‚' | '‛' | '′' | '`' | '´' => '\'',
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => '"',
        '–' | '—' | '‐' | '‑' | '−' => '-',
        _ => c,
    }
}

/// Normalized text plus, for each of its BYTES, the original byte range of the char it came
/// from. Whitespace runs become one space; chars are folded and lower-cased.
fn normalize(s: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    let mut prev_space = false;
    for (i, c) in s.char_indices() {
        let range = (i, i + c.len_utf8());
        if c.is_whitespace() {
            if !prev_space {
                out.push(' ');
                map.push(range);
                prev_space = true;
            }
            continue;
        }
        prev_space = false;
        for lc in fold_char(c).to_lowercase() {
            let before = out.len();
            out.push(lc);
            for _ in before..out.len() {
                map.push(range);
            }
        }
    }
    (out, map)
}

const STOP: &[&str] = &[
    "the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "was", "were", "are", "be", "at", "by", "for", "with",
    "as", "that", "this", "it", "from", "has", "had", "have", "he", "she", "they", "his", "her", "their", "its", "but",
    "not",
];

fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Up to 3 sentences sharing the most (non-stop) words with the quote; ties go to the
/// sentence where the shared words make up more of it, then to the earlier one.
fn suggestions(body: &str, quote: &str) -> Vec<(Span, String)> {
    let qw = words(quote);
    let content: HashSet<&String> = qw.iter().filter(|w| !STOP.contains(&w.as_str())).collect();
    let use_all = content.is_empty();
    let mut scored: Vec<(usize, f64, usize, Span)> = Vec::new();
    for (idx, sp) in split_sentences(body).into_iter().enumerate() {
        let sw = words(sp.text(body));
        let shared = sw.iter().filter(|w| qw.contains(*w) && (use_all || !STOP.contains(&w.as_str()))).count();
        if shared > 0 {
            let ratio = shared as f64 / sw.len().max(1) as f64;
            scored.push((shared, ratio, idx, sp));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored.into_iter().take(3).map(|(_, _, _, sp)| (sp, sp.text(body).to_string())).collect()
}
