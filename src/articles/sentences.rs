//! Sentence splitting with UTF-8 byte offsets.
//!
//! The body is cut into paragraphs at blank lines (a sentence never spans one), paragraphs into
//! blocks at heading-like short lines and list bullets, and blocks into sentences at `.`, `!`,
//! `?` and ellipses followed by whitespace, unless the next word starts in lower case or the
//! period ends an abbreviation / initial. The seed format's meta lines (the leading
//! ` date YYYY-MM-DD ` and the trailing `Originally published as ...` line) are skipped.

use super::Span;

/// Titles and abbreviations that (practically) never end a sentence.
const NEVER_FINAL: &[&str] = &[
    "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "St", "Sen", "Rep", "Gov", "Gen", "Lt", "Sgt", "Insp", "Det", "Supt",
    "Const", "Snr", "Capt", "Col", "Cpl", "Maj", "Cmdr", "Adm", "Cr", "Cllr", "Hon", "Rev", "Fr", "Mt", "Ft", "No",
    "Nos", "Nr", "vs", "v", "approx", "cf", "Messrs", "Pres", "Atty", "Brig", "Pte", "Sup", "Ald", "e.g", "i.e", "viz",
    "al", "Fig", "fig", "pp", "Vol", "vol", "Ch", "ch", "Art", "Sec", "Ave", "Rd", "Blvd", "Hwy", "Pde", "Tce", "Cres",
];

/// Abbreviations that may end a sentence: a boundary only if a typical sentence starter follows.
const MAYBE_FINAL: &[&str] = &[
    "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "Pty", "Bros", "plc", "LLC", "etc", "Jan", "Feb", "Mar", "Apr", "Jun",
    "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri",
    "Sat", "Sun", "am", "pm", "Univ", "Dept", "Govt", "Est", "est", "Assn", "Ave", "Dist",
    // US state abbreviations in datelines ("KESSLER FALLS, Ore. (Wire) --").
    "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan", "Ky", "La", "Md", "Mass",
    "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla", "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis",
    "Wyo",
];

/// Words that typically start a sentence (used after ambiguous abbreviations like "U.S.").
const STARTERS: &[&str] = &[
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "You",
    "His",
    "Her",
    "Its",
    "Their",
    "Our",
    "My",
    "Your",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Then",
    "Thus",
    "In",
    "On",
    "At",
    "But",
    "And",
    "Or",
    "So",
    "Yet",
    "After",
    "Before",
    "When",
    "While",
    "As",
    "If",
    "However",
    "Meanwhile",
    "Some",
    "Many",
    "Most",
    "All",
    "Several",
    "Both",
    "Each",
    "Who",
    "What",
    "Why",
    "How",
    "Where",
    "Earlier",
    "Later",
    "Since",
    "During",
    "According",
    "Police",
    "Officers",
    "Witnesses",
    "Residents",
    "Footage",
    "Video",
    "Vision",
    "Photos",
    "Images",
    "One",
    "Two",
    "Three",
    "Another",
    "Other",
    "Others",
    "No",
    "Not",
    "Now",
    "Still",
    "Also",
    "Asked",
    "Under",
    "For",
    "From",
    "With",
    "By",
    "Last",
    "Next",
    "Such",
    "More",
    "Less",
];

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‽')
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '}' | '»' | '›' | '*' | '_')
}

fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[' | '{' | '«' | '‹' | '*' | '_' | '¿' | '¡')
}

/// Byte range of the seed format's leading ` date YYYY-MM-DD ` marker (0..end), if present.
pub(crate) fn seed_date_prefix(body: &str) -> Option<(usize, String)> {
    let lead = body.len() - body.trim_start().len();
    let rest = body.get(lead..)?;
    let after = rest.strip_prefix("date ")?;
    let date = after.get(..10)?;
    let b = date.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !ok {
        return None;
    }
    let tail = after.get(10..)?;
    match tail.chars().next() {
        None => {}
        Some(c) if c.is_whitespace() => {}
        Some(_) => return None,
    }
    let ws = tail.len() - tail.trim_start().len();
    Some((body.len() - tail.len() + ws, date.to_string()))
}

/// Byte range of the seed format's trailing `Originally published as ...` line (the last
/// non-blank line), with the title it names.
pub(crate) fn seed_trailer(body: &str) -> Option<(usize, usize, String)> {
    let trimmed_end = body.trim_end().len();
    let head = body.get(..trimmed_end)?;
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let line = head.get(line_start..)?;
    let lead = line.len() - line.trim_start().len();
    let title = line.trim_start().strip_prefix("Originally published as")?;
    if !(title.is_empty() || title.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((line_start + lead, trimmed_end, title.trim().to_string()))
}

/// Split `body` into sentences. See the module docs for the rules.
pub fn split_sentences(body: &str) -> Vec<Span> {
    let start = seed_date_prefix(body).map_or(0, |(end, _)| end);
    let end = match seed_trailer(body) {
        Some((s, _, _)) if s >= start => s,
        _ => body.len(),
    };
    let mut out = Vec::new();
    for (ps, pe) in paragraphs(body, start, end) {
        for (bs, be) in blocks(body, ps, pe) {
            split_block(body, bs, be, &mut out);
        }
    }
    out
}

/// Paragraphs: maximal runs of non-blank lines within `start..end`.
fn paragraphs(body: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some(region) = body.get(start..end) else {
        return out;
    };
    let mut para: Option<(usize, usize)> = None;
    let mut pos = start;
    for line in region.split_inclusive('\n') {
        let ls = pos;
        pos += line.len();
        if line.trim().is_empty() {
            if let Some(p) = para.take() {
                out.push(p);
            }
        } else {
            let le = ls + line.trim_end().len();
            para = Some(match para {
                Some((s, _)) => (s, le),
                None => (ls, le),
            });
        }
    }
    if let Some(p) = para {
        out.push(p);
    }
    out
}

fn starts_with_bullet(line: &str) -> bool {
    let t = line.trim_start();
    if ["- ", "* ", "+ ", "• ", "– ", "— ", "· "].iter().any(|b| t.starts_with(b)) {
        return true;
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && digits < 4 && {
        let r = &t[digits..]; // ASCII digits: a char boundary
        r.starts_with(". ") || r.starts_with(") ")
    }
}

/// Blocks within a paragraph: lines are joined unless a line looks like a heading (short, no
/// final punctuation, next line capitalised) or the next line starts a list item.
fn blocks(body: &str, ps: usize, pe: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some(para) = body.get(ps..pe) else {
        return out;
    };
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut pos = ps;
    for line in para.split_inclusive('\n') {
        lines.push((pos, line));
        pos += line.len();
    }
    let mut bstart = ps;
    for w in lines.windows(2) {
        let (_, cur) = w[0];
        let (nstart, next) = w[1];
        let cur_t = cur.trim();
        let next_t = next.trim_start();
        let heading_like = cur_t.chars().count() < 60
            && cur_t.chars().last().is_some_and(|c| c.is_alphanumeric() || matches!(c, '"' | '”' | '’' | ')'))
            && next_t.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || is_opening(c));
        if heading_like || starts_with_bullet(next) {
            out.push((bstart, nstart));
            bstart = nstart;
        }
    }
    out.push((bstart, pe));
    out
}

/// Push the trimmed span `s..e` (if non-empty).
fn push_trimmed(body: &str, s: usize, e: usize, out: &mut Vec<Span>) {
    let Some(t) = body.get(s..e) else { return };
    let lead = t.len() - t.trim_start().len();
    let trimmed = t.trim();
    if !trimmed.is_empty() {
        out.push(Span { start: s + lead, end: s + lead + trimmed.len() });
    }
}

fn split_block(body: &str, bs: usize, be: usize, out: &mut Vec<Span>) {
    let Some(block) = body.get(bs..be) else {
        return;
    };
    let chars: Vec<(usize, char)> = block.char_indices().collect();
    let mut sent_start = 0usize; // relative byte offset
    let mut i = 0usize;
    while i < chars.len() {
        let (off, c) = chars[i];
        if !is_terminator(c) {
            i += 1;
            continue;
        }
        // The terminator run, then closing quotes/brackets.
        let mut j = i;
        while j < chars.len() && is_terminator(chars[j].1) {
            j += 1;
        }
        let run: String = chars[i..j].iter().map(|&(_, c)| c).collect();
        while j < chars.len() && is_closing(chars[j].1) {
            j += 1;
        }
        let end_off = chars.get(j).map_or(block.len(), |&(o, _)| o);
        if j < chars.len() && !chars[j].1.is_whitespace() {
            i = j.max(i + 1);
            continue;
        }
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() {
            k += 1;
        }
        if k >= chars.len() {
            break; // end of block ends the sentence anyway
        }
        if is_boundary(block, &chars, off, &run, k) {
            push_trimmed(body, bs + sent_start, bs + end_off, out);
            sent_start = end_off;
        }
        i = k;
    }
    push_trimmed(body, bs + sent_start, be, out);
}

/// Decide whether the terminator `run` at byte `off` (next word starting at char index `k`)
/// ends a sentence.
fn is_boundary(block: &str, chars: &[(usize, char)], off: usize, run: &str, k: usize) -> bool {
    // The next word, past opening quotes/brackets.
    let mut f = k;
    while f < chars.len() && (is_opening(chars[f].1) || matches!(chars[f].1, '-' | '—' | '–')) {
        f += 1;
    }
    let Some(&(nstart, first)) = chars.get(f) else {
        return true;
    };
    if first.is_lowercase() {
        return false;
    }
    if run != "." {
        return true; // ! ? ellipsis followed by a non-lower-case word
    }
    // The word before the period.
    let before = block.get(..off).unwrap_or("");
    let wstart = before.rfind(char::is_whitespace).map_or(0, |p| p + 1);
    let word = before.get(wstart..).unwrap_or("").trim_start_matches(is_opening);
    if word.is_empty() {
        return true;
    }
    let next_word: String = block.get(nstart..).unwrap_or("").chars().take_while(|c| c.is_alphanumeric()).collect();
    let starter = STARTERS.contains(&next_word.as_str());
    if NEVER_FINAL.contains(&word) {
        return false;
    }
    if MAYBE_FINAL.contains(&word) {
        return starter;
    }
    // Dotted abbreviations: U.S, U.K, a.m, p.m, Ph.D ...
    if word.contains('.') && word.split('.').all(|p| p.chars().count() <= 3 && p.chars().all(char::is_alphabetic)) {
        return starter;
    }
    // A single capital letter: an initial ("J. Smith"), unless a sentence starter follows.
    let mut wc = word.chars();
    if let (Some(c), None) = (wc.next(), wc.next()) {
        if c.is_uppercase() {
            return starter;
        }
    }
    // A list number at the start of a block ("1. First").
    if wstart == 0 && word.chars().all(|c| c.is_ascii_digit()) && word.len() < 4 {
        return false;
    }
    true
}
