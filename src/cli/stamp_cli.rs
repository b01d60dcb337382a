//! Trusted time: `evcat log --timestamp/--ots/--statement` and
//! `evcat file timestamp`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use evcat::catalog::timestamps::{Stamp, StampTarget};
use evcat::custody::Head;
use evcat::ids::Ref;
use evcat::timestamp::record::StampCheck;
use evcat::{Catalog, Error, Result};

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum FileCmd {
    /// Time-stamp a file's SHA-256: an RFC 3161 token from --tsa URL, or an
    /// OpenTimestamps proof (--ots FILE, made with `ots stamp` on the file).
    Timestamp(FileTimestampArgs),
}

#[derive(Debug, Args)]
pub struct FileTimestampArgs {
    /// The file (F7 or a SHA-256 prefix).
    pub id: String,
    /// The TSA's http:// URL.
    #[arg(long, value_name = "URL", required_unless_present = "ots", conflicts_with = "ots")]
    pub tsa: Option<String>,
    /// An OpenTimestamps proof of the file.
    #[arg(long, value_name = "FILE")]
    pub ots: Option<PathBuf>,
}

fn read_ots(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    if meta.len() > 1 << 20 {
        return Err(Error::invalid("OpenTimestamps proof", path.display().to_string(), "larger than 1 MB"));
    }
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

fn stamp_text(s: &Stamp) -> String {
    let by = s.signer.as_deref().map(|x| format!(" by {x}")).unwrap_or_default();
    format!(
        "time-stamped {} ({}): {}{by}\nimprint {}; recorded as event #{}\n",
        s.stamped, s.kind, s.attested, s.imprint, s.seq
    )
}

/// `evcat log --timestamp --tsa URL | --ots FILE | --statement FILE [--head H]`.
pub fn stamp_head(
    ctx: &Ctx,
    cat: &mut Catalog,
    head: Option<Head>,
    tsa: Option<&str>,
    ots: Option<&Path>,
    statement: Option<&Path>,
) -> Result<u8> {
    let target = StampTarget::Head(head);
    if let Some(out) = statement {
        let (head, bytes) = cat.head_statement(head.as_ref())?;
        std::fs::write(out, &bytes).map_err(|e| Error::io("write", out, e))?;
        let digest = head.statement_digest().map(hex::encode);
        let doc = json!({ "head": head, "statement": out, "sha256": digest });
        ctx.out.emit(&doc, || {
            format!(
                "wrote the statement of head {head} to {} (its SHA-256, {}, is what is stamped)\n",
                out.display(),
                digest.clone().unwrap_or_default()
            )
        })?;
        return Ok(0);
    }
    let stamp = match (tsa, ots) {
        (Some(url), _) => cat.timestamp_rfc3161(&target, url)?,
        (None, Some(path)) => cat.attach_ots(&target, &read_ots(path)?)?,
        (None, None) => return Err(Error::invalid("log", "", "--timestamp needs --tsa URL")),
    };
    ctx.out.emit(&stamp, || stamp_text(&stamp))?;
    Ok(0)
}

pub fn file(ctx: &Ctx, cmd: FileCmd) -> Result<u8> {
    let mut cat = ctx.open()?;
    match cmd {
        FileCmd::Timestamp(a) => {
            let target = StampTarget::File(a.id.parse::<Ref>()?);
            let stamp = match (&a.tsa, &a.ots) {
                (Some(url), _) => cat.timestamp_rfc3161(&target, url)?,
                (None, Some(path)) => cat.attach_ots(&target, &read_ots(path)?)?,
                (None, None) => return Err(Error::invalid("file timestamp", a.id, "give --tsa URL or --ots FILE")),
            };
            ctx.out.emit(&stamp, || stamp_text(&stamp))?;
        }
    }
    Ok(0)
}

/// Lines for the time-stamps audit or bag verification checked.
pub fn stamps_text(stamps: &[StampCheck]) -> String {
    let mut s = String::new();
    for t in stamps {
        let what = t.attested.as_deref().unwrap_or("?");
        let by = t.signer.as_deref().map(|x| format!(" by {x}")).unwrap_or_default();
        let chain = match (t.kind.as_str(), t.chain_checked) {
            ("rfc3161", true) => ", TSA chain trusted",
            ("rfc3161", false) => ", TSA chain not checked (no --tsa-trust)",
            _ => "",
        };
        let verdict = if t.problems.is_empty() { "" } else { " FAILED" };
        s.push_str(&format!("time-stamp #{}{verdict}: {} {}: {what}{by}{chain}\n", t.seq, t.stamped, t.kind));
    }
    s
}
