//! `evcat similar`, `derive`, `lineage`, `fingerprint`: media intelligence.

use clap::{Args, ValueEnum};

use evcat::fingerprint::{MediaSummary, DEFAULT_MAX_DISTANCE};
use evcat::ids::{FileId, Ref};
use evcat::{Catalog, Error, Result};

use super::Ctx;

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The file (F7 or a SHA-256 prefix) whose near-duplicates to list.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub file: Option<String>,
    /// List clusters of near-duplicates across the whole catalog instead.
    #[arg(long)]
    pub all: bool,
    /// Largest PDQ distance (bits of 256) between two frames that counts as a match.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DISTANCE, value_parser = clap::value_parser!(u32).range(0..=128))]
    pub max_distance: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum How {
    Transcode,
    Crop,
    ScreenRecording,
    Excerpt,
    Edit,
    Other,
}

impl How {
    fn as_str(self) -> &'static str {
        match self {
            How::Transcode => "transcode",
            How::Crop => "crop",
            How::ScreenRecording => "screen-recording",
            How::Excerpt => "excerpt",
            How::Edit => "edit",
            How::Other => "other",
        }
    }
}

#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// The derived file (F41 or a SHA-256 prefix).
    pub file: String,
    /// The file it was made from.
    #[arg(long, value_name = "FILE")]
    pub from: String,
    /// How it was made from it.
    #[arg(long, value_enum)]
    pub how: How,
    /// Why you are confident (recorded in the custody log).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct LineageArgs {
    /// An evidence item (E12) or a file (F7 or a SHA-256 prefix).
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// Files to (re)analyse: fingerprints, thumbnails, transcode hints.
    pub files: Vec<String>,
    /// Analyse every image and video not analysed yet (or analysed without ffmpeg).
    #[arg(long, conflicts_with = "files")]
    pub missing: bool,
}

fn file_id(cat: &Catalog, s: &str) -> Result<FileId> {
    match s.parse::<Ref>()? {
        Ref::File(f) => Ok(cat.file(f)?.id),
        Ref::Sha256Prefix(p) => Ok(cat.file_by_prefix(&p)?.id),
        _ => Err(Error::invalid("file", s, "expected a file (F7) or a SHA-256 prefix")),
    }
}

pub fn similar(ctx: &Ctx, a: SimilarArgs) -> Result<u8> {
    let cat = ctx.open()?;
    if a.all {
        let clusters = cat.similar_all(a.max_distance)?;
        ctx.out.emit(&clusters, || {
            if clusters.is_empty() {
                return "no near-duplicates\n".into();
            }
            let mut s = String::new();
            for (i, c) in clusters.iter().enumerate() {
                let ids: Vec<String> = c.files.iter().map(|f| f.to_string()).collect();
                s.push_str(&format!("cluster {}: {}\n", i + 1, ids.join(" ")));
                for p in &c.pairs {
                    s.push_str(&format!(
                        "  {} ~ {}  distance {:>3}  {}\n",
                        p.file,
                        p.other,
                        p.distance,
                        p.looks_like.as_str()
                    ));
                }
            }
            s
        })?;
        return Ok(0);
    }
    let Some(f) = a.file.as_deref() else {
        return Err(Error::invalid("arguments", "", "give a file or --all"));
    };
    let file = file_id(&cat, f)?;
    let matches = cat.similar(file, a.max_distance)?;
    let doc = serde_json::json!({ "file": file, "max_distance": a.max_distance, "matches": matches });
    ctx.out.emit(&doc, || {
        if matches.is_empty() {
            return format!("no near-duplicates of {file} within PDQ distance {}\n", a.max_distance);
        }
        let mut s = String::new();
        for m in &matches {
            s.push_str(&m.describe(file));
            s.push('\n');
        }
        s
    })?;
    Ok(0)
}

pub fn derive(ctx: &Ctx, a: DeriveArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let file = file_id(&cat, &a.file)?;
    let from = file_id(&cat, &a.from)?;
    let changed = cat.set_derivation(file, from, a.how.as_str(), a.reason.as_deref())?;
    let doc = serde_json::json!({ "file": file, "derived_from": from, "how": a.how.as_str(), "recorded": changed });
    ctx.out.emit(&doc, || {
        if changed {
            format!("{file} derived from {from} ({}): recorded\n", a.how.as_str())
        } else {
            format!("{file} derived from {from} ({}) was already recorded\n", a.how.as_str())
        }
    })?;
    Ok(0)
}

pub fn lineage(ctx: &Ctx, a: LineageArgs) -> Result<u8> {
    let cat = ctx.open()?;
    let files = match a.reference.parse::<Ref>()? {
        Ref::Evidence(e) => {
            cat.evidence(e)?;
            let f = cat.file_ids_of(e)?;
            if f.is_empty() {
                return Err(Error::Conflict(format!("{e} has no files yet (it is only referenced)")));
            }
            f
        }
        Ref::File(f) => vec![cat.file(f)?.id],
        Ref::Sha256Prefix(p) => vec![cat.file_by_prefix(&p)?.id],
        _ => return Err(Error::invalid("reference", &a.reference, "expected an evidence item (E12) or a file (F7)")),
    };
    let l = cat.lineage(&files)?;
    ctx.out.emit(&l, || {
        let mut s = String::new();
        let depth_of = |f: FileId| {
            let mut d = 0;
            let mut cur = l.nodes.iter().find(|n| n.file == f).and_then(|n| n.derived_from);
            while let Some(p) = cur {
                d += 1;
                cur = l.nodes.iter().find(|n| n.file == p).and_then(|n| n.derived_from);
                if d > 64 {
                    break;
                }
            }
            d
        };
        // Depth-first from the roots so children sit under their parent.
        let mut stack: Vec<FileId> =
            l.nodes.iter().filter(|n| n.derived_from.is_none()).map(|n| n.file).rev().collect();
        let mut shown = std::collections::HashSet::new();
        while let Some(f) = stack.pop() {
            if !shown.insert(f) {
                continue;
            }
            let Some(n) = l.nodes.iter().find(|n| n.file == f) else { continue };
            let indent = "  ".repeat(depth_of(f));
            let how = n.how.as_deref().map(|h| format!(" [{h}]")).unwrap_or_default();
            let mut facts = Vec::new();
            if let Some(t) = &n.captured_at {
                facts.push(format!("captured {t}"));
            }
            if let Some(t) = &n.posted_at {
                facts.push(format!("posted {t}"));
            }
            if let Some(p) = &n.platform {
                facts.push(p.clone());
            }
            if !n.transcode_hints.is_empty() {
                facts.push(format!("hints: {}", n.transcode_hints.join(", ")));
            }
            let mark = if n.earliest { "  <- earliest known" } else { "" };
            s.push_str(&format!(
                "{indent}{} ({}){how} {} {}{}{mark}\n",
                n.file,
                n.evidence,
                n.media_type,
                n.name.as_deref().unwrap_or(""),
                if facts.is_empty() { String::new() } else { format!("  {}", facts.join("; ")) },
            ));
            let mut kids: Vec<FileId> = l.nodes.iter().filter(|c| c.derived_from == Some(f)).map(|c| c.file).collect();
            kids.reverse();
            stack.extend(kids);
        }
        if let Some(e) = &l.earliest {
            s.push_str(&format!("earliest known {}: {} ({})\n", e.what, e.at, e.file));
        } else {
            s.push_str("no capture or post time known\n");
        }
        if !l.similar.is_empty() {
            s.push_str("similar (unconfirmed; confirm with `evcat derive`):\n");
            for r in &l.similar {
                s.push_str(&format!("  {} ~ {}  distance {}  {}\n", r.file, r.other, r.distance, r.looks_like));
            }
        }
        s
    })?;
    Ok(0)
}

pub fn fingerprint_cmd(ctx: &Ctx, a: FingerprintArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let files: Vec<FileId> = if a.missing || a.files.is_empty() {
        cat.files_needing_analysis()?
    } else {
        a.files.iter().map(|f| file_id(&cat, f)).collect::<Result<_>>()?
    };
    let mut summary = MediaSummary::default();
    for chunk in files.chunks(256) {
        summary.merge(cat.analyze_files(chunk, DEFAULT_MAX_DISTANCE)?);
    }
    print_notices(ctx, &summary);
    ctx.out.emit(&summary, || {
        let mut s = render_summary(&summary);
        s.push_str(&format!("{} analysed, {} fingerprinted\n", summary.analyzed, summary.fingerprinted));
        s
    })?;
    Ok(0)
}

/// Catalog-wide notices (ffmpeg missing, ...) on stderr, once, in text mode.
pub fn print_notices(ctx: &Ctx, m: &MediaSummary) {
    if ctx.out.json {
        return;
    }
    for n in &m.notices {
        eprintln!("evcat: notice: {n}");
    }
    for w in &m.warnings {
        eprintln!("evcat: {}: {}", w.file, w.message);
    }
}

/// Near-duplicate and transcode-hint lines for `add` and `fingerprint`.
pub fn render_summary(m: &MediaSummary) -> String {
    let mut s = String::new();
    for d in &m.near_duplicates {
        s.push_str(&d.message);
        s.push('\n');
    }
    for h in &m.transcode_hints {
        let codes: Vec<&str> = h.hints.iter().map(|h| h.code.as_str()).collect();
        s.push_str(&format!("{}: likely not the camera original ({})\n", h.file, codes.join(", ")));
    }
    s
}
