//! `evcat add` (`evcat probe` is in `probe.rs`).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use evcat::analysis::AnalysisOptions;
use evcat::ids::EvidenceId;
use evcat::ingest::{AddItem, AddOptions, Progress};
use evcat::Result;

use super::flags::{AcquisitionArgs, ProvenanceArgs};
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
    /// Record path and hash only; do not copy into the store (audit checks the file where it is).
    #[arg(long)]
    pub in_place: bool,
    /// Follow symbolic links inside folders (loops are detected and reported).
    #[arg(long)]
    pub follow_links: bool,
    /// Register the images, videos and audio archived in each WACZ as files
    /// derived from it (their fingerprints and facts then work like any file's).
    #[arg(long)]
    pub extract_media: bool,
    /// Fingerprint, thumbnail and compare the new images and videos; `off` only
    /// registers them (`evcat fingerprint --missing` catches up later).
    #[arg(long, value_name = "on|off", env = "EVCAT_MEDIA_ANALYSIS", default_value = "on")]
    #[arg(action = clap::ArgAction::Set, value_parser = on_off)]
    pub media_analysis: bool,
    /// Files per transaction, 1-512 (default 512). A test knob: smaller
    /// batches let the crash test kill `add` with several batches in flight.
    #[arg(long, hide = true, env = "EVCAT_ADD_BATCH_FILES", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=512))]
    pub batch_files: Option<u16>,
    // Last: flattened args open their own help headings. Provenance describes
    // the new evidence items, so the library refuses it with --evidence.
    #[command(flatten)]
    pub provenance: ProvenanceArgs,
    #[command(flatten)]
    pub acquisition: AcquisitionArgs,
}

/// A WACZ's package check, seed page and archived media, under its line.
pub(super) fn render_capture(c: &evcat::acquire::wacz::Capture) -> String {
    let pk = &c.package;
    let mut s = if pk.is_sound() {
        format!("  WACZ package verified: {} of {} resources", pk.verified, pk.resources)
    } else {
        format!("  WACZ package NOT verified: {} of {} resources match", pk.verified, pk.resources)
    };
    s.push_str(&format!(", datapackage digest {}", pk.digest));
    if pk.signed {
        s.push_str(", signed (signature not verified)");
    }
    s.push('\n');
    let pages = c.pages.len() as u64 + c.pages_not_listed;
    if let Some(p) = c.pages.first() {
        let more = if pages > 1 { format!(" (+{} more)", pages - 1) } else { String::new() };
        s.push_str(&format!("  page: {} {}{more}\n", p.ts.as_deref().unwrap_or("-"), p.url));
    }
    s.push_str(&format!("  {} archived media record(s) in {} WARC record(s)\n", c.media.len(), c.records));
    for m in &c.media {
        let partial = if m.partial { " [partial, not extracted]" } else { "" };
        s.push_str(&format!(
            "    {} {} {} {}{partial}\n",
            m.warc_date,
            m.media_type,
            human_bytes(m.size),
            m.target_uri
        ));
    }
    s
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

/// `on` or `off` (also 1/0, yes/no, true/false, any case); empty, as an
/// environment variable set to nothing, means the default: on.
fn on_off(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "" | "on" | "1" | "yes" | "true" => Ok(true),
        "off" | "0" | "no" | "false" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

pub fn add(ctx: &Ctx, a: AddArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let opts = AddOptions {
        evidence: a.evidence,
        provenance: a.provenance.into_provenance()?,
        provenance_source: None,
        acquisition: a.acquisition.into_acquisition()?,
        in_place: a.in_place,
        follow_links: a.follow_links,
        analysis: AnalysisOptions { enabled: a.media_analysis },
        batch_files: a.batch_files.map(usize::from),
        extract_media: a.extract_media,
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
                AddItem::Registered {
                    path,
                    file,
                    evidence,
                    sha256,
                    size,
                    media_type,
                    warnings,
                    sidecar,
                    sidecar_of,
                    new_capture,
                    extracted_from,
                    capture,
                } => {
                    if !ctx.out.quiet && (!many || ctx.out.verbose) {
                        let what = match (sidecar_of, extracted_from, new_capture) {
                            (Some(of), _, _) => format!("  sidecar of {of}: {file}"),
                            (None, Some(of), _) => format!("  extracted from {of}: {file}"),
                            (None, None, true) => format!("registered {file} (new capture of {evidence})"),
                            (None, None, false) => format!("registered {file} ({evidence})"),
                        };
                        let from = sidecar.map(|f| format!(" [provenance from {f}]")).unwrap_or_default();
                        s.push_str(&format!(
                            "{what} {} {media_type} {} {path}{from}\n",
                            &sha256[..12],
                            human_bytes(*size)
                        ));
                    }
                    if let Some(c) = capture.as_deref().filter(|_| !ctx.out.quiet) {
                        s.push_str(&render_capture(c));
                    }
                    // Sidecar disagreements, unverifiable hashes and damaged
                    // captures matter to every reader.
                    let loud = sidecar.is_some() || capture.is_some() || extracted_from.is_some();
                    for w in warnings.iter().filter(|_| ctx.out.verbose || loud) {
                        s.push_str(&format!("  warning: {w}\n"));
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
