//! Command-line definitions (clap derive) and dispatch. No SQL here: every
//! command calls the library and renders its typed result as text or JSON.

mod add;
mod articles_cli;
mod custody_cli;
mod docs_cli;
mod export_cli;
mod flags;
mod keys_cli;
mod media_cli;
mod output;
mod probe;
mod records;
mod serve_cli;
pub(crate) mod stamp_cli;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use evcat::store::IoOptions;
use evcat::{ActorOptions, Catalog, Result};

pub use output::Out;

/// evcat: a media-evidence catalog with content-addressed storage, provenance,
/// claims and a signed, hash-chained custody log.
///
/// Exit codes: 0 ok; 1 audit/verification found problems; 2 usage or input
/// error; 3 catalog error (missing, locked, corrupt); 4 some inputs failed
/// while the rest were processed.
#[derive(Debug, Parser)]
#[command(name = "evcat", version, max_term_width = 100)]
pub struct Cli {
    /// Catalog directory (default: the nearest catalog.sqlite or .evcat/ in the
    /// current directory or its parents).
    // Any OS string, empty too: `EVCAT_CATALOG=` means unset (see `run`).
    #[arg(long, global = true, env = "EVCAT_CATALOG", value_name = "DIR",
          value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), PathBuf::from))]
    pub catalog: Option<PathBuf>,

    /// Who is acting (signs the custody events); default: the catalog's default actor.
    #[arg(long, global = true, env = "EVCAT_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    /// Private key file of the acting actor (default: DIR/keys/NAME.key).
    #[arg(long, global = true, env = "EVCAT_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Where the acting person is (recorded in custody events).
    #[arg(long, global = true, env = "EVCAT_LOCATION", value_name = "TEXT")]
    pub location: Option<String>,

    /// Print exactly one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print less: no progress bars, no per-file lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(flatten)]
    pub io: flags::IoArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a catalog in DIR (catalog.sqlite, objects/, keys/).
    Init(InitArgs),
    /// Register files and folder trees (hash while copying into the store).
    Add(add::AddArgs),
    /// Show what would be recorded for files, without registering them.
    Probe(probe::ProbeArgs),
    /// Evidence items: referenced (not yet acquired) evidence and provenance edits.
    #[command(subcommand)]
    Evidence(records::EvidenceCmd),
    /// List records.
    List(records::ListArgs),
    /// Show one record (E12, F40, A3, C7, L5 or a SHA-256 prefix) with everything known about it.
    Show(records::ShowArgs),
    /// Full-text search over evidence, files, articles and claims.
    Search(records::SearchArgs),
    /// Import articles.
    #[command(subcommand)]
    Article(articles_cli::ArticleCmd),
    /// Mark, confirm or reject claims.
    #[command(subcommand)]
    Claim(articles_cli::ClaimCmd),
    /// List claims; `--unsupported` lists those with no acquired evidence.
    Claims(articles_cli::ClaimsArgs),
    /// Link a claim to evidence (optionally a time range or a region).
    Link(articles_cli::LinkArgs),
    /// Remove a link (logged).
    Unlink(articles_cli::UnlinkArgs),
    /// Claim -> evidence -> files -> custody -> fixity, as a tree.
    Trace(articles_cli::TraceArgs),
    /// Which articles and claims rely on this evidence or file.
    CitedBy(articles_cli::CitedByArgs),
    /// Signing identities.
    #[command(subcommand)]
    Actor(custody_cli::ActorCmd),
    /// A record's custody timeline; `transfer` and `note` add to it.
    Custody(custody_cli::CustodyArgs),
    /// The custody log, its head (SEQ:CHAIN_HASH:TREE_ROOT) to publish as a
    /// checkpoint, or Merkle proofs of events and heads.
    Log(custody_cli::LogArgs),
    /// Check an inclusion or consistency proof offline (no catalog needed).
    VerifyProof(custody_cli::VerifyProofArgs),
    /// Files: trusted time-stamps of their SHA-256.
    #[command(subcommand)]
    File(stamp_cli::FileCmd),
    /// Verify fixity, the hash chain, signatures and record integrity (exit 1 on problems).
    Audit(custody_cli::AuditArgs),
    /// Near-duplicates of a file (closest first), or `--all` clusters, by perceptual fingerprint.
    Similar(media_cli::SimilarArgs),
    /// Confirm that a file was made from another (transcode, crop, screen recording, excerpt); logged.
    Derive(media_cli::DeriveArgs),
    /// The derivation graph of a file or evidence item, earliest known capture/post marked.
    Lineage(media_cli::LineageArgs),
    /// (Re)compute fingerprints, thumbnails and transcode hints (`--missing`: all not yet done).
    Fingerprint(media_cli::FingerprintArgs),
    /// Export: BagIt bag, W3C PROV, ClaimReview JSON-LD, CSV, HTML report.
    #[command(subcommand)]
    Export(export_cli::ExportCmd),
    /// Import a bag (verified first) or a spreadsheet of evidence.
    #[command(subcommand)]
    Import(export_cli::ImportCmd),
    /// Local web interface (review desk) on 127.0.0.1, with a one-time access token.
    Serve(serve_cli::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For example `evcat completions bash > ~/.local/share/bash-completion/completions/evcat`,
    /// or `evcat completions zsh > ~/.zfunc/_evcat` with ~/.zfunc on $fpath.
    Completions(docs_cli::CompletionsArgs),
    /// Print the man page (roff), or write one per command with `--out DIR`.
    Man(docs_cli::ManArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the catalog in (created if missing).
    pub dir: PathBuf,
    /// Role of the default actor (e.g. archivist, editor).
    #[arg(long)]
    pub role: Option<String>,
}

/// Everything a command handler needs besides its own arguments.
pub struct Ctx {
    pub catalog_dir: Option<PathBuf>,
    pub actor: ActorOptions,
    pub io: IoOptions,
    pub out: Out,
}

impl Ctx {
    pub fn open(&self) -> Result<Catalog> {
        let dir = Catalog::discover(self.catalog_dir.as_deref())?;
        let mut cat = Catalog::open(&dir, self.actor.clone())?;
        cat.set_io_options(self.io.clone());
        Ok(cat)
    }
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let ctx = Ctx {
        catalog_dir: cli.catalog.clone().filter(|p| !p.as_os_str().is_empty()),
        actor: ActorOptions { name: cli.actor.clone(), key_file: cli.key_file.clone(), location: cli.location.clone() },
        io: cli.io.options(),
        out: Out::new(cli.json, cli.quiet, cli.verbose),
    };
    match cli.command {
        Command::Init(a) => init(&ctx, a),
        Command::Add(a) => add::add(&ctx, a),
        Command::Probe(a) => probe::probe(&ctx, a),
        Command::Evidence(c) => records::evidence(&ctx, c),
        Command::List(a) => records::list(&ctx, a),
        Command::Show(a) => records::show(&ctx, a),
        Command::Search(a) => records::search(&ctx, a),
        Command::Article(c) => articles_cli::article(&ctx, c),
        Command::Claim(c) => articles_cli::claim(&ctx, c),
        Command::Claims(a) => articles_cli::claims(&ctx, a),
        Command::Link(a) => articles_cli::link(&ctx, a),
        Command::Unlink(a) => articles_cli::unlink(&ctx, a),
        Command::Trace(a) => articles_cli::trace(&ctx, a),
        Command::CitedBy(a) => articles_cli::cited_by(&ctx, a),
        Command::Actor(c) => custody_cli::actor(&ctx, c),
        Command::Custody(a) => custody_cli::custody(&ctx, a),
        Command::Log(a) => custody_cli::log_cmd(&ctx, a),
        Command::VerifyProof(a) => custody_cli::verify_proof(&ctx, a),
        Command::File(c) => stamp_cli::file(&ctx, c),
        Command::Audit(a) => custody_cli::audit(&ctx, a),
        Command::Similar(a) => media_cli::similar(&ctx, a),
        Command::Derive(a) => media_cli::derive(&ctx, a),
        Command::Lineage(a) => media_cli::lineage(&ctx, a),
        Command::Fingerprint(a) => media_cli::fingerprint_cmd(&ctx, a),
        Command::Export(c) => export_cli::export(&ctx, c),
        Command::Import(c) => export_cli::import(&ctx, c),
        Command::Serve(a) => serve_cli::serve_cmd(&ctx, a),
        Command::Completions(a) => docs_cli::completions(&ctx, a),
        Command::Man(a) => docs_cli::man(&ctx, a),
    }
}

fn default_actor_name(explicit: Option<&str>) -> String {
    explicit
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "archivist".to_string())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') { c } else { '-' })
        .collect()
}

fn init(ctx: &Ctx, a: InitArgs) -> Result<u8> {
    let actor = default_actor_name(ctx.actor.name.as_deref());
    let cat = Catalog::init(&a.dir, &actor, a.role.as_deref())?;
    let head = evcat::catalog::log::head(&cat)?;
    let doc = serde_json::json!({
        "catalog": cat.root(),
        "actor": actor,
        "key_file": cat.root().join("keys").join(format!("{actor}.key")),
        "head": head.map(|h| h.to_string()),
    });
    ctx.out.emit(&doc, || {
        format!(
            "Created catalog in {}\nDefault actor: {actor} (signing key in {}/keys/{actor}.key, mode 0600)\n",
            cat.root().display(),
            cat.root().display()
        )
    })?;
    Ok(0)
}
