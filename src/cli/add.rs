//! `evcat add` (`evcat probe` is in `probe.rs`).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use evcat::catalog::evidence::{Platform, Provenance};
use evcat::catalog::files::Acquisition;
use evcat::ids::EvidenceId;
use evcat::ingest::{AddItem, AddOptions, Progress};
use evcat::timefmt::normalize_timestamp;
use evcat::Result;

use super::output::human_bytes;
use super::Ctx;

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Files and folders to register (folders are walked recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Attach the files to this existing evidence item instead of creating new ones.
    #[arg(long, value_name = "E12")]
    pub evidence: Option<EvidenceId>,
    /// Title of the new evidence items (default: the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// Platform the evidence was published on (tiktok, youtube, x, facebook, instagram,
    /// telegram, twitch, reddit, snapchat, parler, rumble, whatsapp, web, other).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// URL of the post or page the evidence came from.
    #[arg(long)]
    pub url: Option<String>,
    /// Platform's own id of the post.
    #[arg(long)]
    pub platform_id: Option<String>,
    /// Account that posted it.
    #[arg(long)]
    pub author: Option<String>,
    /// When it was posted (RFC 3339, 'YYYY-MM-DD HH:MM' UTC, or YYYY-MM-DD).
    #[arg(long)]
    pub posted_at: Option<String>,
    /// Who acquired the bytes.
    #[arg(long)]
    pub acquired_by: Option<String>,
    /// When the bytes were acquired (default: now).
    #[arg(long)]
    pub acquired_at: Option<String>,
    /// How they were acquired (e.g. download, screen-recording, sent-by-source).
    #[arg(long)]
    pub method: Option<String>,
    /// Tool used to acquire them (e.g. yt-dlp 2024.05.27).
    #[arg(long)]
    pub tool: Option<String>,
    /// Free-text note stored with each file.
    #[arg(long)]
    pub note: Option<String>,
    /// Record path and hash only; do not copy into the store (audit checks the file where it is).
    #[arg(long)]
    pub in_place: bool,
    /// Follow symbolic links inside folders (loops are detected and reported).
    #[arg(long)]
    pub follow_links: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn discovered(&self, _files: u64, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn advanced(&self, _files: u64, bytes: u64) {
        self.0.inc(bytes);
    }
}

fn opt_time(what: &'static str, v: Option<String>) -> Result<Option<String>> {
    v.map(|s| normalize_timestamp(what, &s)).transpose()
}

pub fn add(ctx: &Ctx, a: AddArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let opts = AddOptions {
        evidence: a.evidence,
        provenance: Provenance {
            title: a.title,
            description: None,
            platform: a.platform,
            source_url: a.url,
            platform_id: a.platform_id,
            author_handle: a.author,
            posted_at: opt_time("posted-at", a.posted_at)?,
        },
        acquisition: Acquisition {
            acquired_by: a.acquired_by,
            method: a.method,
            tool: a.tool,
            note: a.note,
            acquired_at: opt_time("acquired-at", a.acquired_at)?,
        },
        in_place: a.in_place,
        follow_links: a.follow_links,
    };
    let report = if ctx.out.progress_enabled() {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style);
        }
        let bar = Bar(bar);
        let r = cat.add_paths(&a.paths, &opts, &bar);
        bar.0.finish_and_clear();
        r?
    } else {
        cat.add_paths(&a.paths, &opts, &evcat::ingest::NoProgress)?
    };

    if !ctx.out.json {
        for item in &report.items {
            match item {
                AddItem::Failed { path, error } => eprintln!("evcat: {path}: {error}"),
                AddItem::Skipped { path, reason } if !ctx.out.quiet => eprintln!("evcat: {path}: {reason}"),
                _ => {}
            }
        }
    }
    super::media_cli::print_notices(ctx, &report.media);
    let many = report.items.len() > 20;
    ctx.out.emit(&report, || {
        let mut s = String::new();
        for item in &report.items {
            match item {
                AddItem::Registered { path, file, evidence, sha256, size, media_type, warnings } => {
                    if !ctx.out.quiet && (!many || ctx.out.verbose) {
                        s.push_str(&format!(
                            "registered {file} ({evidence}) {} {media_type} {} {path}\n",
                            &sha256[..12],
                            human_bytes(*size)
                        ));
                    }
                    if ctx.out.verbose {
                        for w in warnings {
                            s.push_str(&format!("  warning: {w}\n"));
                        }
                    }
                }
                AddItem::AlreadyRegistered { path, file, evidence, sha256 }
                    if !ctx.out.quiet && (!many || ctx.out.verbose) =>
                {
                    s.push_str(&format!("already registered: {path} is {file} ({evidence}) {}\n", &sha256[..12]));
                }
                _ => {}
            }
        }
        s.push_str(&super::media_cli::render_summary(&report.media));
        s.push_str(&format!(
            "{} registered ({}), {} already registered, {} skipped, {} failed\n",
            report.registered,
            human_bytes(report.bytes_registered),
            report.already_registered,
            report.skipped,
            report.failed
        ));
        s
    })?;
    Ok(if report.failed == 0 {
        0
    } else if report.registered + report.already_registered == 0 {
        2
    } else {
        4
    })
}
