//! `evcat actor`, `custody`, `log`, `audit`.

use std::path::PathBuf;

use std::io::Read as _;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::json;

use evcat::audit::{AuditOptions, AuditReport};
use evcat::catalog::{actors, log, tree};
use evcat::custody::{Head, Proof};
use evcat::ids::Ref;
use evcat::Result;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ActorCmd {
    /// Create a signing identity (ed25519; private key mode 0600).
    Add(ActorAddArgs),
    /// List actors and their key ids.
    List,
    /// Replace NAME's key by a new one, signed over by the old key (run as
    /// NAME); the old key may sign nothing after the rotation.
    Rotate(super::keys_cli::RotateArgs),
    /// Revoke NAME's key from event SEQ on: every later event it signed fails
    /// audit, with the reason. Run by another actor whose role is admin or editor.
    Revoke(super::keys_cli::RevokeArgs),
}

#[derive(Debug, Args)]
pub struct ActorAddArgs {
    pub name: String,
    #[arg(long)]
    pub role: Option<String>,
    /// Where to write the private key (default: DIR/keys/NAME.key).
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CustodyArgs {
    /// Record whose custody timeline to show (E12, F40, A3, C7, L5, SHA-256 prefix).
    #[arg(required = true)]
    pub id: Option<String>,
    #[command(subcommand)]
    pub cmd: Option<CustodyCmd>,
}

#[derive(Debug, Subcommand)]
pub enum CustodyCmd {
    /// Record a hand-over of a record to someone.
    Transfer {
        id: String,
        /// Who receives it.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Add a note to a record's custody timeline.
    Note { id: String, text: String },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Print only the head (SEQ:CHAIN_HASH:TREE_ROOT) to publish as a
    /// checkpoint. With a value (also an older SEQ:HASH), check that it is a
    /// head of this log and print it in full; with --proof, the head to prove
    /// against.
    #[arg(long, value_name = "HEAD", num_args = 0..=1, conflicts_with = "consistency")]
    pub head: Option<Option<Head>>,
    /// Print an inclusion proof of event SEQ in the tree of the current head
    /// (or of --head HEAD); verify it with `evcat verify-proof`.
    #[arg(long, value_name = "SEQ", conflicts_with = "consistency")]
    pub proof: Option<u64>,
    /// Print a proof that head H2 extends head H1 (the log only grew between them).
    #[arg(long, num_args = 2, value_names = ["H1", "H2"])]
    pub consistency: Option<Vec<Head>>,
    /// Only events after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub since: u64,
    #[arg(long)]
    pub limit: Option<u64>,
    /// Ask a Time-Stamping Authority (RFC 3161, --tsa URL) to sign the head
    /// (the current one, or --head HEAD); the token is stored as an event.
    #[arg(long, requires = "tsa", conflicts_with_all = ["proof", "consistency", "ots"])]
    pub timestamp: bool,
    /// The TSA's http:// URL (the request is evcat's only network step).
    #[arg(long, value_name = "URL", requires = "timestamp")]
    pub tsa: Option<String>,
    /// Store an OpenTimestamps proof (.ots) of the head (current, or --head
    /// HEAD); made with `ots stamp` on the file --statement writes.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["proof", "consistency"])]
    pub ots: Option<PathBuf>,
    /// Write the head's statement (the bytes whose SHA-256 is stamped and
    /// witnessed) to FILE, e.g. for `ots stamp FILE` or `openssl ts -query -data FILE`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["proof", "consistency", "timestamp", "ots"])]
    pub statement: Option<PathBuf>,
    /// Co-sign the head (current, or --head HEAD) as the acting actor (e.g.
    /// `--actor editor` on the editor's laptop, with their --key-file).
    #[arg(long, conflicts_with_all = ["proof", "consistency", "timestamp", "ots", "statement"])]
    pub witness: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A published head (SEQ:CHAIN_HASH:TREE_ROOT, or an older SEQ:HASH) that
    /// must still be in the log unchanged.
    #[arg(long, value_name = "HEAD")]
    pub head: Option<Head>,
    /// Only re-hash objects and in-place files.
    #[arg(long, conflicts_with = "log_only")]
    pub objects_only: bool,
    /// Only verify the log (chain, signatures, record integrity).
    #[arg(long)]
    pub log_only: bool,
    /// Do not record a `verified` event for a clean audit.
    #[arg(long)]
    pub no_record: bool,
    /// PEM certificates trusted to issue time-stamps: each RFC 3161 token's
    /// signer must chain to one of them, valid at the attested time.
    #[arg(long, value_name = "FILE")]
    pub tsa_trust: Option<PathBuf>,
    /// With --head: the head must be co-signed by this actor (`evcat log
    /// --witness`); repeat for several witnesses.
    #[arg(long, value_name = "NAME", requires = "head")]
    pub require_witness: Vec<String>,
    /// Audit an outside copy instead of the catalog: check folder DIR against
    /// the hashdeep known list LIST (e.g. from `evcat export hashdeep`), like
    /// `hashdeep -a -v`: matched, moved, changed, new and missing files, and
    /// which bytes the catalog holds. Records nothing; exit 1 unless it passes.
    #[arg(long, num_args = 2, value_names = ["LIST", "DIR"], conflicts_with_all = ["head", "objects_only", "log_only"])]
    pub against: Option<Vec<PathBuf>>,
}

pub fn actor(ctx: &Ctx, cmd: ActorCmd) -> Result<u8> {
    let mut cat = ctx.open()?;
    match cmd {
        ActorCmd::Add(a) => {
            let (actor, path) = cat.add_actor(&a.name, a.role.as_deref(), a.key_out.as_deref())?;
            let doc = json!({ "actor": actor, "key_file": path });
            ctx.out.emit(&doc, || {
                format!(
                    "added actor {} (key id {}); private key written to {} (mode 0600)\nact as them with --actor {} or EVCAT_ACTOR={}\n",
                    actor.name,
                    actor.key_id,
                    path.display(),
                    actor.name,
                    actor.name
                )
            })?;
        }
        ActorCmd::Rotate(a) => return super::keys_cli::rotate(ctx, a),
        ActorCmd::Revoke(a) => return super::keys_cli::revoke(ctx, &mut cat, a),
        ActorCmd::List => {
            let list = actors::list(&cat)?;
            ctx.out.emit(&list, || {
                list.iter()
                    .map(|a| {
                        format!(
                            "{:<20} {:<12} key {}  since {}\n",
                            a.name,
                            a.role.as_deref().unwrap_or("-"),
                            a.key_id,
                            a.created_at
                        )
                    })
                    .collect()
            })?;
        }
    }
    Ok(0)
}

pub fn custody(ctx: &Ctx, a: CustodyArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    match (a.cmd, a.id) {
        (Some(CustodyCmd::Transfer { id, to, reason }), _) => {
            let subject = cat.resolve_subject(&id.parse::<Ref>()?)?;
            let seq = cat.custody_transfer(subject, &to, &reason)?;
            ctx.out.emit(&json!({ "seq": seq, "subject": id, "to": to }), || {
                format!("recorded transfer of {id} to {to} as event #{seq}\n")
            })?;
        }
        (Some(CustodyCmd::Note { id, text }), _) => {
            let subject = cat.resolve_subject(&id.parse::<Ref>()?)?;
            let seq = cat.custody_note(subject, &text)?;
            ctx.out.emit(&json!({ "seq": seq, "subject": id }), || format!("noted on {id} as event #{seq}\n"))?;
        }
        (None, Some(id)) => {
            let events = cat.custody_history(&id.parse::<Ref>()?)?;
            ctx.out.emit(&events, || format!("Custody of {id}\n{}", super::records::timeline_text(&events)))?;
        }
        (None, None) => {
            return Err(evcat::Error::invalid("custody", "", "give a record id, or `transfer`/`note`"));
        }
    }
    Ok(0)
}

pub fn log_cmd(ctx: &Ctx, a: LogArgs) -> Result<u8> {
    let cat = ctx.open()?;
    if let Some(seq) = a.proof {
        let p = Proof::Inclusion(tree::inclusion_proof(&cat, seq, a.head.flatten().as_ref())?);
        return emit_proof(ctx, &p);
    }
    let at = a.head.flatten();
    if a.witness {
        let mut cat = cat;
        return super::keys_cli::witness(ctx, &mut cat, at);
    }
    if a.timestamp || a.ots.is_some() || a.statement.is_some() {
        let mut cat = cat;
        return super::stamp_cli::stamp_head(
            ctx,
            &mut cat,
            at,
            a.tsa.as_deref(),
            a.ots.as_deref(),
            a.statement.as_deref(),
        );
    }
    if let Some(heads) = a.consistency {
        let p = Proof::Consistency(tree::consistency_proof(&cat, &heads[0], &heads[1])?);
        return emit_proof(ctx, &p);
    }
    if let Some(given) = a.head {
        let head = match given {
            None => log::head(&cat)?,
            Some(h) => Some(tree::resolve_head(&cat, Some(&h))?),
        };
        let text = head.as_ref().map(ToString::to_string);
        ctx.out
            .emit(&json!({ "head": text }), || format!("{}\n", text.clone().unwrap_or_else(|| "empty log".into())))?;
        return Ok(0);
    }
    let events = log::entries(&cat, a.since, a.limit)?;
    ctx.out.emit(&events, || {
        events
            .iter()
            .map(|e| {
                format!(
                    "#{:<6} {}  {:<14} {:<10} by {:<12} {}\n",
                    e.event.seq,
                    e.event.at,
                    e.event.action,
                    match e.event.subject_id {
                        Some(id) => format!("{}:{id}", e.event.subject_type),
                        None => e.event.subject_type.clone(),
                    },
                    e.event.actor,
                    &e.hash_hex()[..16]
                )
            })
            .collect()
    })?;
    Ok(0)
}

/// A proof is a JSON document either way: people save it to a file and hand
/// it on, so the text form is the same document, pretty-printed.
fn emit_proof(ctx: &Ctx, p: &Proof) -> Result<u8> {
    let text =
        serde_json::to_string_pretty(p).map_err(|e| evcat::Error::Json { context: "proof".into(), source: e })?;
    ctx.out.emit(p, || format!("{text}\n"))?;
    Ok(0)
}

#[derive(Debug, Args)]
pub struct VerifyProofArgs {
    /// A proof document written by `evcat log --proof` or `--consistency` (`-` for stdin).
    pub file: PathBuf,
    /// A head you trust (published, timestamped or witnessed): the proof must
    /// be against it (inclusion) or start from it (consistency).
    #[arg(long, value_name = "HEAD")]
    pub head: Option<Head>,
}

/// The outcome of `evcat verify-proof`.
#[derive(Debug, Serialize)]
struct ProofCheck {
    valid: bool,
    proof: &'static str,
    statement: String,
    problem: Option<String>,
}

/// Check a proof document offline: no catalog is opened.
pub fn verify_proof(ctx: &Ctx, a: VerifyProofArgs) -> Result<u8> {
    let text = if a.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().take(16 << 20), &mut s)
            .map_err(|e| evcat::Error::io("read", "stdin", e))?;
        s
    } else {
        let meta = std::fs::metadata(&a.file).map_err(|e| evcat::Error::io("read", &a.file, e))?;
        if meta.len() > 16 << 20 {
            return Err(evcat::Error::invalid("proof", a.file.display().to_string(), "larger than 16 MB"));
        }
        std::fs::read_to_string(&a.file).map_err(|e| evcat::Error::io("read", &a.file, e))?
    };
    let proof: Proof = serde_json::from_str(&text).map_err(|e| {
        evcat::Error::invalid("proof", a.file.display().to_string(), format!("not a proof document: {e}"))
    })?;
    let (kind, statement, anchor) = match &proof {
        Proof::Inclusion(p) => (
            "inclusion",
            format!("event #{} ({}) is in the log of head {}", p.seq, hex::encode(p.event_hash), p.head),
            p.head,
        ),
        Proof::Consistency(p) => ("consistency", format!("head {} extends head {}", p.second, p.first), p.first),
    };
    let mut problem = proof.verify().err().map(|e| e.to_string());
    if let Some(trusted) = &a.head {
        if problem.is_none() && !trusted.agrees_with(&anchor) {
            problem = Some(format!("the proof is about head {anchor}, not the head you trust, {trusted}"));
        }
    }
    let check = ProofCheck { valid: problem.is_none(), proof: kind, statement, problem };
    ctx.out.emit(&check, || match &check.problem {
        None => format!("proof verified: {}\n", check.statement),
        Some(p) => format!("proof FAILED: {p}\n  (it claims: {})\n", check.statement),
    })?;
    Ok(if check.valid { 0 } else { 1 })
}

fn audit_text(r: &AuditReport) -> String {
    let c = &r.checked;
    let mut s = format!(
        "checked {} objects, {} in-place files ({:.1} MB), {} events, {} records in {:.2}s\n",
        c.objects,
        c.in_place_files,
        c.bytes as f64 / 1e6,
        c.events,
        c.records,
        r.seconds
    );
    s.push_str(&super::stamp_cli::stamps_text(&r.timestamps));
    for p in &r.problems {
        // Every message names its record (p.record is for --json and tools).
        s.push_str(&format!("PROBLEM [{}] {}\n", p.check, p.message));
    }
    if r.clean {
        s.push_str(&format!(
            "audit clean; head {}\n",
            r.head.map(|h| h.to_string()).unwrap_or_else(|| "(empty)".into())
        ));
        if let Some(seq) = r.recorded_as {
            s.push_str(&format!("recorded as event #{seq}\n"));
        }
        if let Some(why) = &r.not_recorded_because {
            s.push_str(&format!("not recorded in the log: {why}\n"));
        }
    } else {
        s.push_str(&format!("audit FAILED: {} problem(s)\n", r.problems.len()));
    }
    s
}

pub fn audit(ctx: &Ctx, a: AuditArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    if let Some([list, dir]) = a.against.as_deref() {
        let r = cat.audit_against(list, dir)?;
        ctx.out.emit(&r, || against_text(&r))?;
        return Ok(if r.passed { 0 } else { 1 });
    }
    let opts = AuditOptions {
        objects: !a.log_only,
        log: !a.objects_only,
        records: !a.objects_only,
        head: a.head,
        record_result: !a.no_record,
        tsa_trust: a.tsa_trust.as_deref().map(evcat::timestamp::TsaTrust::load).transpose()?,
        require_witness: a.require_witness,
    };
    let report = cat.audit(&opts)?;
    ctx.out.emit(&report, || audit_text(&report))?;
    Ok(if report.clean { 0 } else { 1 })
}

fn against_text(r: &evcat::export::hashdeep::AgainstReport) -> String {
    let mut s = String::new();
    let held = |it: &evcat::export::hashdeep::AgainstItem| {
        it.catalog_file.map(|f| format!(" [catalog {f}]")).unwrap_or_else(|| " [not in the catalog]".into())
    };
    for it in &r.moved {
        s.push_str(&format!(
            "moved     {} (listed as {}){}\n",
            it.path,
            it.known_as.as_deref().unwrap_or("?"),
            held(it)
        ));
    }
    for it in &r.changed {
        s.push_str(&format!("CHANGED   {} (line {}){}\n", it.path, it.line.unwrap_or_default(), held(it)));
    }
    for it in &r.new {
        s.push_str(&format!("NEW       {}{}\n", it.path, held(it)));
    }
    for it in &r.missing {
        s.push_str(&format!("MISSING   {} (line {}){}\n", it.path, it.line.unwrap_or_default(), held(it)));
    }
    for it in &r.partial {
        s.push_str(&format!(
            "PARTIAL   {} (some digests equal line {}, others not){}\n",
            it.path,
            it.line.unwrap_or_default(),
            held(it)
        ));
    }
    for u in &r.unreadable {
        s.push_str(&format!("UNREADABLE {u}\n"));
    }
    s.push_str(&format!(
        "{} against {}: {} matched, {} moved, {} changed, {} new, {} missing{}: audit {}\n",
        r.dir.display(),
        r.list.display(),
        r.matched.len(),
        r.moved.len(),
        r.changed.len(),
        r.new.len(),
        r.missing.len(),
        if r.partial.is_empty() { String::new() } else { format!(", {} partial", r.partial.len()) },
        if r.passed { "passed" } else { "FAILED" }
    ));
    s
}
