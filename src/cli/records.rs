//! `evcat evidence`, `list`, `show`, `search`.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use evcat::catalog::evidence::{Evidence, EvidenceEdit, EvidenceFilter, EvidenceKind, EvidenceStatus, Platform};
use evcat::catalog::files::{FileFilter, FileRecord};
use evcat::catalog::fingerprints::FileMedia;
use evcat::catalog::log;
use evcat::custody::SealedEvent;
use evcat::fingerprint::{Part, Transform};
use evcat::ids::{EvidenceId, FileId, Ref};
use evcat::timefmt::format_clock_ms;
use evcat::{Catalog, Result};

use super::flags::{clear_fields, ClearField, ProvenanceArgs, ReasonArg};
use super::output::{fields, human_bytes};
use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum EvidenceCmd {
    /// Record evidence that is referenced (a post, a URL) but not acquired yet.
    Add(EvidenceAddArgs),
    /// Change provenance fields; old and new values are logged.
    Edit(EvidenceEditArgs),
}

#[derive(Debug, Args)]
pub struct EvidenceAddArgs {
    /// video, image, audio, document, web or other.
    #[arg(long)]
    pub kind: EvidenceKind,
    /// Why it is recorded (kept in the custody event).
    #[arg(long)]
    pub note: Option<String>,
    // Last: flattened args open the "Provenance" help heading.
    #[command(flatten)]
    pub provenance: ProvenanceArgs,
}

#[derive(Debug, Args)]
pub struct EvidenceEditArgs {
    /// The evidence item (E12).
    pub id: EvidenceId,
    /// video, image, audio, document, web or other.
    #[arg(long)]
    pub kind: Option<EvidenceKind>,
    /// referenced, acquired or unavailable (e.g. the post was deleted).
    #[arg(long)]
    pub status: Option<EvidenceStatus>,
    #[command(flatten)]
    pub reason: ReasonArg,
    // Last, with --clear: flattened args open the "Provenance" help heading.
    #[command(flatten)]
    pub provenance: ProvenanceArgs,
    /// Clear a field (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub clear: Vec<ClearField>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListWhat {
    Evidence,
    Files,
    Articles,
    Claims,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to list.
    pub what: ListWhat,
    /// Evidence: only this kind.
    #[arg(long)]
    pub kind: Option<EvidenceKind>,
    /// Evidence: only this platform.
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Evidence: only this status (referenced = the acquisition to-do list).
    #[arg(long)]
    pub status: Option<EvidenceStatus>,
    /// Files: only those of this evidence item.
    #[arg(long)]
    pub evidence: Option<EvidenceId>,
    /// Files: media type prefix, e.g. video/ or image/jpeg.
    #[arg(long)]
    pub media_type: Option<String>,
    #[arg(long)]
    pub limit: Option<u64>,
    #[arg(long)]
    pub offset: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// E12, F40, A3, C7, L5 or a SHA-256 prefix (at least 4 hex digits).
    pub id: String,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find (all must match; prefixes match).
    #[arg(required = true)]
    pub text: Vec<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
}

pub fn evidence(ctx: &Ctx, cmd: EvidenceCmd) -> Result<u8> {
    let mut cat = ctx.open()?;
    match cmd {
        EvidenceCmd::Add(a) => {
            let prov = a.provenance.into_provenance()?;
            let id = cat.add_referenced_evidence(a.kind, &prov, a.note.as_deref())?;
            let ev = cat.evidence(id)?;
            ctx.out.emit(&ev, || {
                format!(
                    "recorded {id} ({}{}, referenced)\n",
                    ev.kind,
                    ev.platform.as_deref().map(|p| format!(" on {p}")).unwrap_or_default()
                )
            })?;
        }
        EvidenceCmd::Edit(a) => {
            let mut edit = EvidenceEdit { kind: a.kind, status: a.status, ..a.provenance.into_edit() };
            clear_fields(&mut edit, &a.clear)?;
            let changed = cat.edit_evidence(a.id, &edit, a.reason.get())?;
            let ev = cat.evidence(a.id)?;
            let doc = json!({ "evidence": ev, "changed": changed });
            ctx.out.emit(&doc, || {
                if changed.is_empty() {
                    format!("{}: nothing changed (values already as given)\n", a.id)
                } else {
                    format!("{}: changed {}\n", a.id, changed.join(", "))
                }
            })?;
        }
    }
    Ok(0)
}

fn evidence_line(e: &Evidence) -> String {
    format!(
        "{:<6} {:<8} {:<10} {:<10} {}{}\n",
        e.id.to_string(),
        e.kind.as_str(),
        e.status.as_str(),
        e.platform.as_deref().unwrap_or("-"),
        e.title.as_deref().unwrap_or("(untitled)"),
        e.source_url.as_deref().map(|u| format!("  <{u}>")).unwrap_or_default()
    )
}

fn file_line(f: &FileRecord) -> String {
    format!(
        "{:<6} {:<6} {}  {:<16} {:>9}  {}\n",
        f.id.to_string(),
        f.evidence_id.to_string(),
        &f.sha256.to_hex()[..16],
        f.media_type,
        human_bytes(f.size),
        f.original_name.as_deref().unwrap_or("")
    )
}

pub fn list(ctx: &Ctx, a: ListArgs) -> Result<u8> {
    let cat = ctx.open()?;
    match a.what {
        ListWhat::Evidence => {
            let rows = cat.list_evidence(&EvidenceFilter {
                kind: a.kind,
                platform: a.platform,
                status: a.status,
                limit: a.limit,
                offset: a.offset,
            })?;
            ctx.out.emit(&rows, || rows.iter().map(evidence_line).collect())?;
        }
        ListWhat::Files => {
            let rows = cat.list_files(&FileFilter {
                evidence: a.evidence,
                media_type: a.media_type,
                limit: a.limit,
                offset: a.offset,
            })?;
            ctx.out.emit(&rows, || rows.iter().map(file_line).collect())?;
        }
        ListWhat::Articles => {
            let rows = cat.list_articles(a.limit, a.offset)?;
            ctx.out.emit(&rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{:<5} {:<10} {}\n",
                            r.id.to_string(),
                            r.published_at.as_deref().unwrap_or("-"),
                            r.title.as_deref().unwrap_or("(untitled)")
                        )
                    })
                    .collect()
            })?;
        }
        ListWhat::Claims => {
            return super::articles_cli::claims(
                ctx,
                super::articles_cli::ClaimsArgs { unsupported: false, article: None, status: None, limit: a.limit },
            );
        }
    }
    Ok(0)
}

pub fn timeline_text(events: &[SealedEvent]) -> String {
    let mut s = String::new();
    for SealedEvent { event: e, .. } in events {
        s.push_str(&format!(
            "  #{:<6} {}  {:<12} by {}{}\n",
            e.seq,
            e.at,
            e.action,
            e.actor,
            e.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
        if let Some(changes) = e.details.get("changes").and_then(|c| c.as_object()) {
            for (field, ba) in changes {
                if field == "sources" {
                    continue;
                }
                let (b, a) = (change_value(field, &ba["before"]), change_value(field, &ba["after"]));
                s.push_str(&format!("           {field}: {b} -> {a}\n"));
            }
        }
    }
    s
}

/// A changed value as a reader wants it: references to other records as
/// their ids (`F1`, not `1`), everything else as JSON.
fn change_value(field: &str, v: &serde_json::Value) -> String {
    use evcat::ids::RecordKind;
    let kind = match field {
        "derived_from" => Some(RecordKind::File),
        "evidence_id" => Some(RecordKind::Evidence),
        "article_id" => Some(RecordKind::Article),
        "claim_id" => Some(RecordKind::Claim),
        _ => None,
    };
    match (kind, v.as_i64()) {
        (Some(k), Some(id)) => k.display_id(id),
        _ => v.to_string(),
    }
}

fn file_fields(f: &FileRecord) -> String {
    let src = |k: &str| f.sources.get(k).map(|s| format!(" [{s}]")).unwrap_or_default();
    let gps = match (f.gps_lat, f.gps_lon) {
        (Some(a), Some(b)) => Some(format!("{a:.6}, {b:.6}{}", src("gps_lat"))),
        _ => None,
    };
    fields(&[
        ("sha256", Some(f.sha256.to_hex())),
        ("size", Some(format!("{} ({} bytes)", human_bytes(f.size), f.size))),
        ("media type", Some(f.media_type.clone())),
        ("storage", Some(f.storage.as_str().to_string())),
        ("name", f.original_name.clone()),
        ("path", f.original_path.clone()),
        ("dimensions", f.width.zip(f.height).map(|(w, h)| format!("{w}x{h}{}", src("width")))),
        ("duration", f.duration_ms.map(|d| format!("{}{}", format_clock_ms(d), src("duration_ms")))),
        ("video codec", f.video_codec.as_ref().map(|c| format!("{c}{}", src("video_codec")))),
        ("audio codec", f.audio_codec.as_ref().map(|c| format!("{c}{}", src("audio_codec")))),
        ("captured at", f.captured_at.as_ref().map(|c| format!("{c}{}", src("captured_at")))),
        (
            "device",
            match (&f.make, &f.model) {
                (None, None) => None,
                (m, d) => Some(
                    format!("{} {}{}", m.as_deref().unwrap_or(""), d.as_deref().unwrap_or(""), src("model"))
                        .trim()
                        .to_string(),
                ),
            },
        ),
        ("gps", gps),
        ("gps altitude", f.gps_alt.map(|a| format!("{a} m{}", src("gps_alt")))),
        ("gps direction", f.gps_direction.map(|d| format!("{d}°{}", src("gps_direction")))),
        ("lens", f.lens.clone()),
        ("frame rate", f.frame_rate.map(|r| format!("{r} fps"))),
        ("rotation", f.rotation.map(|r| format!("{r}°"))),
        ("orientation", f.orientation.map(|o| o.to_string())),
        ("software", f.software.clone()),
        ("acquired at", Some(format!("{}{}", f.acquired_at, src("acquired_at")))),
        ("acquired by", f.acquired_by.as_ref().map(|c| format!("{c}{}", src("acquired_by")))),
        ("method", f.method.as_ref().map(|c| format!("{c}{}", src("method")))),
        ("tool", f.tool.as_ref().map(|c| format!("{c}{}", src("tool")))),
        ("note", f.note.clone()),
        ("derived from", f.derived_from.map(|d| d.to_string())),
    ]) + &f.acquisition.as_ref().map(record_text).unwrap_or_default()
}

/// The acquisition tool's record of a file: its format, the file it was
/// read from, and every field it gave that has no column of its own.
pub fn record_text(r: &evcat::catalog::files::AcquisitionRecord) -> String {
    let mut s = format!("  record       {}", r.format);
    if let Some(f) = &r.record {
        s.push_str(&format!(" ({} sha256:{})", f.name, &f.sha256[..f.sha256.len().min(16)]));
    }
    s.push('\n');
    let rows: Vec<(&str, Option<String>)> = r.fields.iter().map(|(k, v)| (k.as_str(), Some(v.clone()))).collect();
    for line in fields(&rows).lines() {
        s.push_str(&format!("  {line}\n"));
    }
    s
}

fn evidence_fields(e: &Evidence) -> String {
    let src = |k: &str| e.sources.get(k).map(|s| format!(" [{s}]")).unwrap_or_default();
    fields(&[
        ("kind", Some(e.kind.to_string())),
        ("status", Some(e.status.to_string())),
        ("title", e.title.as_ref().map(|v| format!("{v}{}", src("title")))),
        ("description", e.description.as_ref().map(|v| format!("{v}{}", src("description")))),
        ("platform", e.platform.as_ref().map(|v| format!("{v}{}", src("platform")))),
        ("url", e.source_url.as_ref().map(|v| format!("{v}{}", src("source_url")))),
        ("platform id", e.platform_id.as_ref().map(|v| format!("{v}{}", src("platform_id")))),
        ("author", e.author_handle.as_ref().map(|v| format!("{v}{}", src("author_handle")))),
        ("author id", e.author_id.as_ref().map(|v| format!("{v}{}", src("author_id")))),
        ("posted at", e.posted_at.as_ref().map(|v| format!("{v}{}", src("posted_at")))),
        ("recorded", Some(e.created_at.clone())),
    ])
}

fn show_evidence(ctx: &Ctx, cat: &Catalog, id: EvidenceId) -> Result<()> {
    let ev = cat.evidence(id)?;
    let files = cat.files_of(id)?;
    let custody = log::for_subject(cat, evcat::ids::Subject::Evidence(id))?;
    let doc = json!({ "evidence": ev, "files": files, "custody": custody });
    ctx.out.emit(&doc, || {
        let mut s = format!("Evidence {id}\n{}", evidence_fields(&ev));
        s.push_str(&format!("Files ({})\n", files.len()));
        for f in &files {
            s.push_str(&format!("  {}", file_line(f)));
        }
        s.push_str("Custody\n");
        s.push_str(&timeline_text(&custody));
        s
    })
}

fn show_file(ctx: &Ctx, cat: &Catalog, f: FileRecord) -> Result<()> {
    let ev = cat.evidence(f.evidence_id)?;
    let custody = log::for_subject(cat, evcat::ids::Subject::File(f.id))?;
    let media = cat.media_of(f.id)?;
    let disagreements = evcat::media::disagreements(&f.facts);
    let doc = json!({ "file": f, "evidence": ev, "media": media, "disagreements": disagreements, "custody": custody });
    ctx.out.emit(&doc, || {
        let mut s = format!("File {} (evidence {}: {})\n", f.id, ev.id, ev.title.as_deref().unwrap_or("untitled"));
        s.push_str(&file_fields(&f));
        s.push_str(&super::probe::facts_text(&f.facts, f.c2pa.as_ref()));
        s.push_str(&media_text(f.id, &media));
        s.push_str("Custody\n");
        s.push_str(&timeline_text(&custody));
        s
    })
}

/// Fingerprints and recorded near-duplicates of a file; nothing for files
/// media analysis never looked at.
fn media_text(file: FileId, m: &FileMedia) -> String {
    let mut s = String::new();
    if let Some(a) = &m.analysis {
        let note = a.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        s.push_str(&format!("Media analysis: {}{note}, {}\n", a.status, a.analyzed_at));
    }
    if !m.fingerprints.is_empty() {
        s.push_str(&format!("Fingerprints ({})\n", m.fingerprints.len()));
        for fp in &m.fingerprints {
            let part = Part::parse(&fp.part).map(Part::describe).unwrap_or_else(|| fp.part.clone());
            let mut what = match fp.frame_ms {
                Some(ms) if fp.part == "whole" => format!("keyframe {} at {}", fp.frame_index, format_clock_ms(ms)),
                Some(ms) => format!("keyframe {} at {}, {part}", fp.frame_index, format_clock_ms(ms)),
                None => part,
            };
            if fp.transform != Transform::Identity.as_str() {
                what.push_str(&format!(", {}", fp.transform));
            }
            s.push_str(&format!(
                "  {} {}  {:<30} quality {:>3}  {}\n",
                fp.method, fp.version, what, fp.quality, fp.hash
            ));
        }
    }
    if let Some(a) = &m.audio_fingerprint {
        s.push_str(&format!(
            "Audio fingerprint: {} {}, {} items over {}, sha256 {}\n",
            a.method,
            a.version,
            a.items,
            format_clock_ms(a.duration_ms),
            &a.sha256[..12.min(a.sha256.len())]
        ));
    }
    if !m.similar.is_empty() {
        s.push_str(&format!("Similar to ({}, found by media analysis, not confirmed)\n", m.similar.len()));
        for r in &m.similar {
            let other = if r.file == file { r.other } else { r.file };
            let frames = if r.frames_total > 1 {
                format!(", {} of {} hashes match", r.frames_matched, r.frames_total)
            } else {
                String::new()
            };
            let distance = if r.looks_like == "same-audio" {
                format!("Chromaprint bit error about {} of 32", r.distance)
            } else {
                format!("PDQ distance {}{frames}", r.distance)
            };
            s.push_str(&format!("  {other}  {}, {distance} (found {})\n", r.looks_like, r.created_at));
        }
    }
    if !m.derived.is_empty() {
        let kinds: Vec<String> =
            m.derived.iter().map(|d| format!("{} {}", d.kind, &d.sha256[..12.min(d.sha256.len())])).collect();
        s.push_str(&format!("Derived objects: {}\n", kinds.join(", ")));
    }
    s
}

pub fn show(ctx: &Ctx, a: ShowArgs) -> Result<u8> {
    let cat = ctx.open()?;
    match a.id.parse::<Ref>()? {
        Ref::Evidence(id) => show_evidence(ctx, &cat, id)?,
        Ref::File(id) => {
            let f = cat.file(id)?;
            show_file(ctx, &cat, f)?
        }
        Ref::Sha256Prefix(p) => {
            let f = cat.file_by_prefix(&p)?;
            show_file(ctx, &cat, f)?
        }
        other => super::articles_cli::show(ctx, &cat, other)?,
    }
    Ok(0)
}

pub fn search(ctx: &Ctx, a: SearchArgs) -> Result<u8> {
    let cat = ctx.open()?;
    let hits = cat.search(&a.text.join(" "), a.limit)?;
    ctx.out.emit(&hits, || {
        if hits.is_empty() {
            return "no matches\n".to_string();
        }
        hits.iter().map(|h| format!("{:<6} {:<8} {}\n", h.id, h.kind, h.snippet)).collect()
    })?;
    Ok(0)
}
