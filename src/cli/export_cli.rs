//! `evcat export` (bag, prov, claimreview, csv, report) and `evcat import` (bag, csv).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use evcat::export::bag::{BagCheck, BagImport, BagKind, BagOptions};
use evcat::export::csv::CsvWhat;
use evcat::export::{FileExport, Scope};
use evcat::ids::{ArticleId, ClaimId, EvidenceId};
use evcat::ingest::AddItem;
use evcat::{Error, Result};

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// A BagIt bag (RFC 8493): files, metadata.json, custody events and a README
    /// telling the receiver how to verify. Recorded as an `exported` event.
    Bag(BagArgs),
    /// W3C PROV-JSON: files and evidence as entities, acquisitions and
    /// derivations as activities, actors and authors as agents.
    Prov(FileArgs),
    /// schema.org ClaimReview JSON-LD of the claims with their evidence.
    Claimreview(FileArgs),
    /// One table as CSV (for spreadsheets).
    Csv(CsvArgs),
    /// One self-contained HTML page (no external requests) to open offline:
    /// article with claims highlighted, evidence with thumbnails, provenance,
    /// custody timeline, last audit.
    Report(FileArgs),
    /// A hashdeep known list (`%%%% HASHDEEP-1.0`, size,sha256,filename) of
    /// the files, to hand over with a copy: `hashdeep -a -k OUT -r COPY` or
    /// `evcat audit --against OUT COPY` checks the copy.
    Hashdeep(FileArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Verify a BagIt bag, then bring it in; exit 1 if verification fails.
    /// A bag made by `evcat export bag` (manifests, paths, custody events)
    /// is merged record by record. A bag from another tool (bagit.py,
    /// Archivematica: md5/sha1/sha256/sha512 manifests, tag manifests,
    /// Payload-Oxum, complete fetch.txt) has each payload file registered
    /// like `add`, with bag-info.txt as its acquisition record. Importing the
    /// same bag twice changes nothing.
    Bag {
        /// The bag directory.
        dir: PathBuf,
        /// Only verify; change nothing.
        #[arg(long)]
        verify_only: bool,
        /// PEM certificates trusted to issue time-stamps: the bag's RFC 3161
        /// tokens must chain to one of them.
        #[arg(long, value_name = "FILE")]
        tsa_trust: Option<PathBuf>,
    },
    /// A spreadsheet of evidence (columns url, platform, title, author,
    /// posted_at, notes; optional kind, description, platform_id; header names
    /// in any case) becomes referenced evidence, all rows or none.
    Csv {
        /// The CSV file (UTF-8, header in row 1).
        file: PathBuf,
    },
    /// Attach a hashdeep/md5deep known list made elsewhere (md5, sha1,
    /// sha256 columns) to the catalog files it names: each digest is checked
    /// against the stored bytes, and one `imported` event records the list.
    /// Exit 1 if an entry matches a file in some digests but not others.
    Hashdeep {
        /// The list (`hashdeep -c md5,sha256 -r ...` output).
        list: PathBuf,
    },
}

#[derive(Debug, Args)]
#[group(id = "scope", multiple = false)]
pub struct ScopeArgs {
    /// Everything about this article: its claims, their links and evidence.
    #[arg(long, group = "scope")]
    pub article: Option<ArticleId>,
    /// One claim with its article, links and evidence.
    #[arg(long, group = "scope")]
    pub claim: Option<ClaimId>,
    /// One evidence item with its files and the claims citing it.
    #[arg(long, group = "scope")]
    pub evidence: Option<EvidenceId>,
    /// The whole catalog.
    #[arg(long, group = "scope")]
    pub all: bool,
}

impl ScopeArgs {
    fn scope(&self) -> Option<Scope> {
        if let Some(a) = self.article {
            Some(Scope::Article(a))
        } else if let Some(c) = self.claim {
            Some(Scope::Claim(c))
        } else if let Some(e) = self.evidence {
            Some(Scope::Evidence(e))
        } else if self.all {
            Some(Scope::All)
        } else {
            None
        }
    }
}

#[derive(Debug, Args)]
pub struct BagArgs {
    /// The bag directory to create.
    pub out: PathBuf,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Source-Organization in bag-info.txt (default: the catalog id).
    #[arg(long, env = "EVCAT_ORGANIZATION")]
    pub organization: Option<String>,
    /// Replace OUT if it is an existing bag.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// The file to write.
    pub out: PathBuf,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CsvTable {
    Evidence,
    Files,
    Claims,
    Links,
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    /// The CSV file to write.
    pub out: PathBuf,
    /// Which table.
    #[arg(long)]
    pub what: CsvTable,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

fn file_text(r: &FileExport) -> String {
    let mut s = format!(
        "wrote {} ({} bytes, sha256 {}) — {} {}; recorded as event #{}\n",
        r.out.display(),
        r.bytes,
        r.sha256,
        r.format,
        r.scope,
        r.event
    );
    for w in &r.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

pub fn export(ctx: &Ctx, cmd: ExportCmd) -> Result<u8> {
    let mut cat = ctx.open()?;
    match cmd {
        ExportCmd::Bag(a) => {
            let scope = a.scope.scope().ok_or_else(|| {
                Error::invalid(
                    "bag scope",
                    "",
                    "choose what to export: --article A3, --claim C7, --evidence E12 or --all",
                )
            })?;
            let r = cat.export_bag(&a.out, &BagOptions { scope, force: a.force, organization: a.organization })?;
            ctx.out.emit(&r, || {
                let mut s = format!(
                    "wrote bag {} ({}; {} files with bytes, {} evidence, {} claims, {} articles, {} custody events)\nhead {} (event #{})\nverify with: bagit.py --validate {}\n",
                    r.out.display(),
                    r.external_identifier,
                    r.files_with_bytes,
                    r.counts.evidence,
                    r.counts.claims,
                    r.counts.articles,
                    r.events,
                    r.head,
                    r.event,
                    r.out.display()
                );
                for w in &r.warnings {
                    s.push_str(&format!("warning: {w}\n"));
                }
                s
            })?;
        }
        ExportCmd::Prov(a) => {
            let r = cat.export_prov(&a.out, a.scope.scope().unwrap_or(Scope::All), a.force)?;
            ctx.out.emit(&r, || file_text(&r))?;
        }
        ExportCmd::Claimreview(a) => {
            let r = cat.export_claimreview(&a.out, a.scope.scope().unwrap_or(Scope::All), a.force)?;
            ctx.out.emit(&r, || file_text(&r))?;
        }
        ExportCmd::Hashdeep(a) => {
            let r = cat.export_hashdeep(&a.out, a.scope.scope().unwrap_or(Scope::All), a.force)?;
            ctx.out.emit(&r, || file_text(&r))?;
        }
        ExportCmd::Csv(a) => {
            let what = match a.what {
                CsvTable::Evidence => CsvWhat::Evidence,
                CsvTable::Files => CsvWhat::Files,
                CsvTable::Claims => CsvWhat::Claims,
                CsvTable::Links => CsvWhat::Links,
            };
            let r = cat.export_csv(&a.out, what, a.force)?;
            ctx.out.emit(&r, || file_text(&r))?;
        }
        ExportCmd::Report(a) => {
            let r = cat.export_report(&a.out, a.scope.scope().unwrap_or(Scope::All), a.force)?;
            ctx.out.emit(&r, || file_text(&r))?;
        }
    }
    Ok(0)
}

fn check_text(c: &BagCheck) -> String {
    let mut s = String::new();
    for p in &c.problems {
        s.push_str(&format!("PROBLEM {p}\n"));
    }
    if c.valid && c.kind == BagKind::Foreign {
        let algs: Vec<&str> = c.algorithms.iter().map(|a| a.name()).collect();
        s.push_str(&format!(
            "bag verified (made by {}): {} payload files ({} bytes), every file checked against {} manifest{} ({}){}\n",
            c.bag_info.get("Bag-Software-Agent").map_or("another tool", String::as_str),
            c.payload_files,
            c.payload_bytes,
            algs.len(),
            if algs.len() == 1 { "" } else { "s" },
            algs.join(", "),
            c.external_identifier.as_deref().map(|i| format!("; External-Identifier {i}")).unwrap_or_default()
        ));
    } else if c.valid {
        s.push_str(&format!(
            "bag verified: {} payload files ({} bytes), {} events verified, {} records match their events; head {}\n",
            c.payload_files,
            c.payload_bytes,
            c.events_verified,
            c.records_verified,
            c.head.as_deref().unwrap_or("-")
        ));
        if c.events_proven > 0 {
            let mut ranges = c.withheld.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
            if c.withheld.len() > 6 {
                ranges.push_str(", ...");
            }
            s.push_str(&format!(
                "every event is proven in the Merkle tree of the head; {} events of other records are withheld{}\n",
                c.withheld_events,
                if ranges.is_empty() { String::new() } else { format!(" ({ranges})") }
            ));
        } else {
            s.push_str(&format!(
                "no Merkle proofs (a bag from before them): {} gaps where other records' events were left out are unchecked\n",
                c.chain_gaps
            ));
        }
        for h in &c.consistent_heads {
            s.push_str(&format!("the head extends earlier head {h}\n"));
        }
        s.push_str(&super::stamp_cli::stamps_text(&c.timestamps));
    } else {
        s.push_str(&format!("bag REJECTED: {} problem(s); nothing was imported\n", c.problems.len()));
    }
    s
}

fn import_text(r: &BagImport) -> String {
    let mut s = check_text(&r.check);
    if r.already_imported {
        s.push_str("everything in this bag is already in the catalog; nothing changed\n");
    } else if r.imported && r.check.kind == BagKind::Foreign {
        s.push_str(&format!(
            "registered {} files as {} new evidence items ({} already here); recorded as event #{}\n",
            r.created.files,
            r.created.evidence,
            r.existing.files,
            r.event.unwrap_or_default()
        ));
        // Paths inside the bag, as its manifests name them.
        let root = std::fs::canonicalize(&r.check.bag).ok();
        for item in &r.files {
            if let AddItem::Registered { path, file, evidence, .. } = item {
                let p = std::path::Path::new(path);
                let rel = root.as_deref().and_then(|root| p.strip_prefix(root).ok()).unwrap_or(p);
                s.push_str(&format!("  {file} {evidence} {}\n", rel.display()));
            }
        }
    } else if r.imported {
        let c = &r.created;
        s.push_str(&format!(
            "imported {} articles, {} evidence, {} files, {} claims, {} links (already here: {} records); recorded as event #{}\n",
            c.articles,
            c.evidence,
            c.files,
            c.claims,
            c.links,
            r.existing.articles + r.existing.evidence + r.existing.files + r.existing.claims + r.existing.links,
            r.event.unwrap_or_default()
        ));
    }
    for k in &r.skipped {
        s.push_str(&format!("skipped {k}\n"));
    }
    s
}

pub fn import(ctx: &Ctx, cmd: ImportCmd) -> Result<u8> {
    match cmd {
        ImportCmd::Bag { dir, verify_only: true, tsa_trust } => {
            let trust = tsa_trust.as_deref().map(evcat::timestamp::TsaTrust::load).transpose()?;
            let c = evcat::export::bag::verify_bag_trusting(&dir, trust.as_ref())?;
            ctx.out.emit(&c, || check_text(&c))?;
            Ok(if c.valid { 0 } else { 1 })
        }
        ImportCmd::Bag { dir, verify_only: false, tsa_trust } => {
            let trust = tsa_trust.as_deref().map(evcat::timestamp::TsaTrust::load).transpose()?;
            let mut cat = ctx.open()?;
            let r = cat.import_bag_trusting(&dir, trust.as_ref())?;
            ctx.out.emit(&r, || import_text(&r))?;
            Ok(if r.check.valid { 0 } else { 1 })
        }
        ImportCmd::Hashdeep { list } => {
            let mut cat = ctx.open()?;
            let r = cat.import_hashdeep(&list)?;
            ctx.out.emit(&r, || hashdeep_import_text(&r))?;
            Ok(if r.conflicts.is_empty() { 0 } else { 1 })
        }
        ImportCmd::Csv { file } => {
            let mut cat = ctx.open()?;
            let r = cat.import_csv(&file)?;
            ctx.out.emit(&r, || {
                let mut s =
                    format!("{}: {} evidence items recorded, {} already known\n", r.file, r.created, r.existing);
                for row in &r.rows {
                    s.push_str(&format!(
                        "  row {:<5} {}{}\n",
                        row.row,
                        row.evidence,
                        if row.existing { " (already recorded)" } else { "" }
                    ));
                }
                s
            })?;
            Ok(0)
        }
    }
}

fn hashdeep_import_text(r: &evcat::export::hashdeep::HashdeepImport) -> String {
    let algs: Vec<&str> = r.algorithms.iter().map(|a| a.name()).collect();
    if r.already_imported {
        return format!(
            "{}: this list (SHA-256 {}) was imported as event #{}; nothing changed\n",
            r.list.display(),
            r.list_sha256,
            r.event.unwrap_or_default()
        );
    }
    let mut s = String::new();
    for c in &r.conflicts {
        s.push_str(&format!("CONFLICT {c}\n"));
    }
    for a in &r.attached {
        s.push_str(&format!("  {} line {}: {} ({} verified)\n", a.file, a.line, a.filename, algs.join(", ")));
    }
    for (line, name) in &r.unknown {
        s.push_str(&format!("  not in the catalog: line {line}: {name}\n"));
    }
    if !r.conflicts.is_empty() {
        s.push_str(&format!(
            "{}: REFUSED, {} conflicting entries; nothing recorded\n",
            r.list.display(),
            r.conflicts.len()
        ));
    } else {
        s.push_str(&format!(
            "{}: {} entries attached to catalog files, {} not in the catalog{}\n",
            r.list.display(),
            r.attached.len(),
            r.unknown.len(),
            r.event.map(|e| format!("; recorded as event #{e}")).unwrap_or_default()
        ));
    }
    s
}
