//! Flag groups that several commands take, each defined once so names and
//! help text cannot drift apart: evidence provenance (`add`, `evidence add`,
//! `evidence edit`), acquisition, `--clear` fields, `--reason`, and the object
//! store's I/O settings (global).

use clap::{Args, ValueEnum};

use evcat::catalog::evidence::{EvidenceEdit, Patch, Platform, Provenance, ProvenanceField};
use evcat::catalog::files::Acquisition;
use evcat::store::IoOptions;
use evcat::timefmt::normalize_timestamp;
use evcat::{Error, Result};

/// What a person asserts about where evidence came from.
#[derive(Debug, Args)]
#[command(next_help_heading = "Provenance")]
pub struct ProvenanceArgs {
    /// Title of the evidence item (`add`: default, the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// What the evidence shows, in a sentence or two.
    #[arg(long)]
    pub description: Option<String>,
    /// Platform it was published on (tiktok, youtube, x, facebook, instagram,
    /// telegram, twitch, reddit, snapchat, parler, rumble, whatsapp, web, other).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// URL of the post or page it came from.
    #[arg(long)]
    pub url: Option<String>,
    /// The platform's own id of the post.
    #[arg(long)]
    pub platform_id: Option<String>,
    /// Account that posted it.
    #[arg(long)]
    pub author: Option<String>,
    /// The platform's own id of that account (stays when the handle changes).
    #[arg(long, value_name = "ID")]
    pub author_id: Option<String>,
    /// When it was posted (RFC 3339, 'YYYY-MM-DD HH:MM' UTC, or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub posted_at: Option<String>,
}

impl ProvenanceArgs {
    /// The provenance of a new evidence item, its time normalised.
    pub fn into_provenance(self) -> Result<Provenance> {
        Ok(Provenance {
            title: self.title,
            description: self.description,
            platform: self.platform,
            source_url: self.url,
            platform_id: self.platform_id,
            author_handle: self.author,
            posted_at: opt_time("posted-at", self.posted_at)?,
            author_id: self.author_id,
        })
    }

    /// An edit that sets every field given (the library normalises the time).
    pub fn into_edit(self) -> EvidenceEdit {
        EvidenceEdit {
            title: Patch::set_or_keep(self.title),
            description: Patch::set_or_keep(self.description),
            platform: Patch::set_or_keep(self.platform),
            source_url: Patch::set_or_keep(self.url),
            platform_id: Patch::set_or_keep(self.platform_id),
            author_handle: Patch::set_or_keep(self.author),
            posted_at: Patch::set_or_keep(self.posted_at),
            author_id: Patch::set_or_keep(self.author_id),
            ..EvidenceEdit::default()
        }
    }
}

/// How the bytes were obtained: stored with each file.
#[derive(Debug, Args)]
#[command(next_help_heading = "Acquisition")]
pub struct AcquisitionArgs {
    /// Who acquired the bytes.
    #[arg(long)]
    pub acquired_by: Option<String>,
    /// When the bytes were acquired (default: now; same formats as --posted-at).
    #[arg(long, value_name = "TIME")]
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
}

impl AcquisitionArgs {
    pub fn into_acquisition(self) -> Result<Acquisition> {
        Ok(Acquisition {
            acquired_by: self.acquired_by,
            method: self.method,
            tool: self.tool,
            note: self.note,
            acquired_at: opt_time("acquired-at", self.acquired_at)?,
            ..Acquisition::default()
        })
    }
}

/// `--reason` of the commands that change a record (`evidence edit`, `claim
/// confirm|reject`, `unlink`).
#[derive(Debug, Args)]
pub struct ReasonArg {
    /// Why the change is made (kept in its custody event).
    #[arg(long)]
    reason: Option<String>,
}

impl ReasonArg {
    pub fn get(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// A field `evidence edit --clear` can remove, named as its flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClearField {
    Title,
    Description,
    Platform,
    Url,
    #[value(alias = "platform_id")]
    PlatformId,
    Author,
    #[value(alias = "author_id")]
    AuthorId,
    #[value(alias = "posted_at")]
    PostedAt,
    /// Accepted only to say why not: every evidence item has a kind.
    #[value(hide = true)]
    Kind,
    /// Accepted only to say why not: every evidence item has a status.
    #[value(hide = true)]
    Status,
}

impl ClearField {
    fn field(self) -> Result<ProvenanceField> {
        Ok(match self {
            ClearField::Title => ProvenanceField::Title,
            ClearField::Description => ProvenanceField::Description,
            ClearField::Platform => ProvenanceField::Platform,
            ClearField::Url => ProvenanceField::SourceUrl,
            ClearField::PlatformId => ProvenanceField::PlatformId,
            ClearField::Author => ProvenanceField::AuthorHandle,
            ClearField::AuthorId => ProvenanceField::AuthorId,
            ClearField::PostedAt => ProvenanceField::PostedAt,
            ClearField::Kind => return Err(Error::invalid("evidence field", "kind", "kind cannot be cleared")),
            ClearField::Status => return Err(Error::invalid("evidence field", "status", "status cannot be cleared")),
        })
    }
}

/// Add the `--clear` fields to an edit.
pub fn clear_fields(edit: &mut EvidenceEdit, clear: &[ClearField]) -> Result<()> {
    for c in clear {
        edit.clear(c.field()?)?;
    }
    Ok(())
}

fn opt_time(what: &'static str, v: Option<String>) -> Result<Option<String>> {
    v.map(|s| normalize_timestamp(what, &s)).transpose()
}

/// The object store's I/O settings. Tuning knobs, hidden from `--help` and
/// listed in README "Settings"; each also reads its `EVCAT_*` variable.
#[derive(Debug, Args)]
pub struct IoArgs {
    /// Threads for file I/O (default: 4 per core for `add`'s large files, 2
    /// per core for `audit`'s re-hashing).
    #[arg(long, global = true, hide = true, env = "EVCAT_IO_THREADS", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub io_threads: Option<u16>,
    /// Write every object through the page cache, never with O_DIRECT (any
    /// value of the variable but 0, false, no, off, n, f turns it on).
    #[arg(long, global = true, hide = true, env = "EVCAT_NO_DIRECT_IO",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub no_direct_io: bool,
}

impl IoArgs {
    pub fn options(&self) -> IoOptions {
        IoOptions { io_threads: self.io_threads.map(usize::from), direct_io: !self.no_direct_io }
    }
}
