//! Evaluation of evidence detection against the hand-labelled articles in
//! `tests/data/articles/`.
//!
//! The German, French, Spanish and Portuguese articles (HTML with `<html lang>`) are scored
//! with the rules of their language.
//!
//! Every `NAME.{txt,md,html}` there has a `NAME.truth` file listing, one per line, the sentences
//! that cite media: `kind<TAB>platform-or-<TAB>sentence-prefix`. Sentences not listed are
//! negatives. Each article is run through [`parse_article`], [`split_sentences`] and
//! [`detect_evidence`], and the detections are scored:
//!
//! - *sentence level*: a detection is right if its sentence is listed (any kind);
//! - *kind-strict*: right only if the kind also matches (this is what is asserted, ≥ 0.9);
//! - *per kind*: kind-strict precision / recall for video, image, audio, web;
//! - *platform*: how often a correctly detected sentence also has the listed platform.
//!
//! Run with `cargo test --lib articles::eval -- --nocapture` to see the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{detect_evidence_in, parse_article, primary_language, split_sentences, Detection, Span};

/// Kinds and platforms every evaluation run must detect (correctly) at least once.
const KINDS: &[&str] = &["video", "image", "audio", "web"];
const PLATFORMS: &[&str] = &[
    "tiktok",
    "x",
    "youtube",
    "facebook",
    "instagram",
    "telegram",
    "twitch",
    "reddit",
    "snapchat",
    "parler",
    "rumble",
    "whatsapp",
];

pub(super) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/articles")
}

/// One labelled article: file name, raw text, extension, truth file text.
pub(super) struct Sample {
    pub name: String,
    pub raw: String,
    pub ext: Option<String>,
    pub truth: String,
}

/// All articles in the data directory that have a `.truth` file, sorted by name.
pub(super) fn corpus() -> Vec<Sample> {
    let dir = data_dir();
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_string);
        if matches!(ext.as_deref(), Some("truth") | None) {
            continue;
        }
        let truth_path = path.with_extension("truth");
        let (Ok(raw), Ok(truth)) = (std::fs::read_to_string(&path), std::fs::read_to_string(&truth_path)) else {
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        out.push(Sample { name, raw, ext, truth });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[derive(Debug, Clone)]
struct Label {
    kind: String,
    platform: Option<String>,
    prefix: String,
}

fn parse_truth(name: &str, text: &str) -> Vec<Label> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.splitn(3, '\t').collect();
        assert!(cols.len() == 3, "{name}.truth line {}: expected kind<TAB>platform<TAB>prefix", n + 1);
        assert!(KINDS.contains(&cols[0]), "{name}.truth line {}: unknown kind {:?}", n + 1, cols[0]);
        let platform = match cols[1].trim() {
            "-" | "" => None,
            p => {
                assert!(PLATFORMS.contains(&p), "{name}.truth line {}: unknown platform {p:?}", n + 1);
                Some(p.to_string())
            }
        };
        out.push(Label { kind: cols[0].to_string(), platform, prefix: collapse(cols[2]) });
    }
    out
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

struct Outcome {
    loose: Counts,
    strict: Counts,
    per_kind: BTreeMap<String, Counts>,
    platform_right: usize,
    platform_total: usize,
    kinds_hit: BTreeSet<String>,
    platforms_hit: BTreeSet<String>,
    live_hits: usize,
    errors: Vec<String>,
    report: Vec<String>,
}

fn evaluate() -> Outcome {
    let samples = corpus();
    let mut o = Outcome {
        loose: Counts::default(),
        strict: Counts::default(),
        per_kind: KINDS.iter().map(|k| (k.to_string(), Counts::default())).collect(),
        platform_right: 0,
        platform_total: 0,
        kinds_hit: BTreeSet::new(),
        platforms_hit: BTreeSet::new(),
        live_hits: 0,
        errors: Vec::new(),
        report: Vec::new(),
    };
    if samples.len() < 5 {
        o.errors.push(format!("only {} labelled articles found", samples.len()));
    }
    for s in &samples {
        let art = parse_article(&s.raw, s.ext.as_deref());
        let body = art.body.as_str();
        let sentences = split_sentences(body);
        // Rules by the page's language (German, French, Spanish, Portuguese articles are
        // HTML pages with <html lang>); the rest use the English rules.
        let lang = art.page.as_ref().and_then(|p| p.lang.as_deref()).map(primary_language);
        let detections = detect_evidence_in(body, &sentences, lang.as_deref());
        let labels = parse_truth(&s.name, &s.truth);
        let report_at = o.report.len();

        // Each label names exactly one sentence.
        let mut labelled: BTreeMap<Span, Label> = BTreeMap::new();
        for l in &labels {
            let hits: Vec<Span> =
                sentences.iter().copied().filter(|sp| collapse(sp.text(body)).starts_with(&l.prefix)).collect();
            match hits.as_slice() {
                [one] => {
                    labelled.insert(*one, l.clone());
                }
                [] => o.errors.push(format!("{}: no sentence starts with {:?}", s.name, l.prefix)),
                _ => o.errors.push(format!("{}: {} sentences start with {:?}", s.name, hits.len(), l.prefix)),
            }
        }
        let by_span: BTreeMap<Span, &Detection> = detections.iter().map(|d| (d.span, d)).collect();

        for d in &detections {
            let text = short(d.span.text(body));
            match labelled.get(&d.span) {
                Some(l) => {
                    o.loose.tp += 1;
                    o.platform_total += 1;
                    if d.platform == l.platform {
                        o.platform_right += 1;
                    } else {
                        o.report.push(format!(
                            "  PLATFORM {}: got {:?}, want {:?}: {text}",
                            s.name, d.platform, l.platform
                        ));
                    }
                    if d.kind == l.kind {
                        o.strict.tp += 1;
                        if let Some(c) = o.per_kind.get_mut(&d.kind) {
                            c.tp += 1;
                        }
                        o.kinds_hit.insert(d.kind.clone());
                        if let (Some(p), true) = (&d.platform, d.platform == l.platform) {
                            o.platforms_hit.insert(p.clone());
                        }
                    } else {
                        o.strict.fp += 1;
                        o.strict.fn_ += 1;
                        o.per_kind.entry(d.kind.clone()).or_default().fp += 1;
                        o.per_kind.entry(l.kind.clone()).or_default().fn_ += 1;
                        o.report.push(format!("  KIND     {}: got {}, want {}: {text}", s.name, d.kind, l.kind));
                    }
                }
                None => {
                    o.loose.fp += 1;
                    o.strict.fp += 1;
                    o.per_kind.entry(d.kind.clone()).or_default().fp += 1;
                    o.report
                        .push(format!("  FP       {}: {} {:?} cues={:?}: {text}", s.name, d.kind, d.platform, d.cues));
                }
            }
            if d.live {
                o.live_hits += 1;
            }
        }
        for (span, l) in &labelled {
            if !by_span.contains_key(span) {
                o.loose.fn_ += 1;
                o.strict.fn_ += 1;
                o.per_kind.entry(l.kind.clone()).or_default().fn_ += 1;
                o.report.push(format!(
                    "  FN       {}: want {} {:?}: {}",
                    s.name,
                    l.kind,
                    l.platform,
                    short(span.text(body))
                ));
            }
        }
        o.report.insert(
            report_at,
            format!(
                "  {:<24} {:>9} sentences {:>3} labelled {:>3} detected {:>3}",
                s.name,
                format!("{:?}", art.format),
                sentences.len(),
                labels.len(),
                detections.len()
            ),
        );
    }
    o
}

fn short(s: &str) -> String {
    let s = collapse(s);
    match s.char_indices().nth(70) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[test]
fn detection_precision_and_recall() {
    let o = evaluate();
    println!("\nevidence detection on tests/data/articles");
    for line in &o.report {
        println!("{line}");
    }
    println!("\n  {:<14} {:>4} {:>4} {:>4} {:>9} {:>7}", "", "tp", "fp", "fn", "precision", "recall");
    let row = |name: &str, c: Counts| {
        println!("  {:<14} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}", name, c.tp, c.fp, c.fn_, c.precision(), c.recall());
    };
    row("sentence", o.loose);
    row("kind-strict", o.strict);
    for (k, c) in &o.per_kind {
        row(k, *c);
    }
    println!(
        "  platform agreement on detected labelled sentences: {}/{} = {:.3}",
        o.platform_right,
        o.platform_total,
        ratio(o.platform_right, o.platform_total)
    );
    println!("  live detections: {}", o.live_hits);

    assert!(o.errors.is_empty(), "bad test data: {:#?}", o.errors);
    assert!(o.strict.precision() >= 0.9, "precision {:.3}", o.strict.precision());
    assert!(o.strict.recall() >= 0.9, "recall {:.3}", o.strict.recall());
    assert!(ratio(o.platform_right, o.platform_total) >= 0.9, "platform agreement too low");
    for k in KINDS {
        assert!(o.kinds_hit.contains(*k), "kind {k} never detected correctly");
    }
    for p in PLATFORMS {
        assert!(o.platforms_hit.contains(*p), "platform {p} never detected correctly");
    }
    assert!(o.live_hits > 0, "no live detection");
}
