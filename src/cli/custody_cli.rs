//! `evcat actor`, `custody`, `log`, `audit`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use evcat::audit::{AuditOptions, AuditReport};
use evcat::catalog::{actors, log};
use evcat::custody::Head;
use evcat::ids::Ref;
use evcat::Result;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ActorCmd {
    /// Create a signing identity (ed25519; private key mode 0600).
    Add(ActorAddArgs),
    /// List actors and their key ids.
    List,
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
    /// Print only the head (SEQ:HASH) to publish as a checkpoint.
    #[arg(long)]
    pub head: bool,
    /// Only events after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub since: u64,
    #[arg(long)]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A published head (SEQ:HASH) that must still be in the log unchanged.
    #[arg(long, value_name = "SEQ:HASH")]
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
    if a.head {
        let head = log::head(&cat)?;
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
    let opts = AuditOptions {
        objects: !a.log_only,
        log: !a.objects_only,
        records: !a.objects_only,
        head: a.head,
        record_result: !a.no_record,
    };
    let report = cat.audit(&opts)?;
    ctx.out.emit(&report, || audit_text(&report))?;
    Ok(if report.clean { 0 } else { 1 })
}
