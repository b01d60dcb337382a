//! `evcat actor rotate`, `evcat actor revoke`, `evcat log --witness`.

use std::path::PathBuf;

use clap::Args;

use evcat::custody::Head;
use evcat::{ActorOptions, Catalog, Result};

use super::Ctx;

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The actor whose key is replaced (the command acts as this actor).
    pub name: String,
    /// Write the new private key here (default: DIR/keys/NAME.key, the old
    /// one kept as DIR/keys/NAME.KEYID.retired).
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The actor whose key is revoked.
    pub name: String,
    /// Events after this sequence number signed by the key fail audit.
    #[arg(long, value_name = "SEQ")]
    pub from: u64,
    /// Why (shown by audit next to every event the revocation invalidates).
    #[arg(long)]
    pub reason: String,
    /// Revoke this key id of NAME instead of its current key.
    #[arg(long, value_name = "KEY_ID")]
    pub key: Option<String>,
}

pub fn rotate(ctx: &Ctx, a: RotateArgs) -> Result<u8> {
    // The rotation is signed by the old key: act as NAME whatever --actor says.
    let dir = Catalog::discover(ctx.catalog_dir.as_deref())?;
    let opts = ActorOptions { name: Some(a.name.clone()), ..ctx.actor.clone() };
    let mut cat = Catalog::open(&dir, opts)?;
    let r = cat.rotate_key(&a.name, a.key_out.as_deref())?;
    ctx.out.emit(&r, || {
        format!(
            "rotated the key of {}: {} -> {} (event #{}, signed by the old key)\nnew private key in {}{}\n",
            r.actor,
            r.old_key_id,
            r.new_key_id,
            r.event,
            r.key_file.display(),
            r.retired_key_file.as_ref().map(|p| format!("; the old one kept as {}", p.display())).unwrap_or_default()
        )
    })?;
    Ok(0)
}

pub fn revoke(ctx: &Ctx, cat: &mut Catalog, a: RevokeArgs) -> Result<u8> {
    let r = cat.revoke_key(&a.name, a.from, &a.reason, a.key.as_deref())?;
    ctx.out.emit(&r, || {
        format!(
            "revoked key {} of {} from event #{} on (event #{}, by {}): {}\nevents after #{} signed by it now fail audit\n",
            r.key_id, r.actor, r.from_seq, r.event, r.by, r.reason, r.from_seq
        )
    })?;
    Ok(0)
}

pub fn witness(ctx: &Ctx, cat: &mut Catalog, head: Option<Head>) -> Result<u8> {
    let w = cat.witness_head(head.as_ref())?;
    ctx.out.emit(&w, || {
        format!(
            "{} (key {}) witnessed head {}\nco-signature {}\nrecorded as event #{}; check with `evcat audit --head {} --require-witness {}`\n",
            w.witness, w.key_id, w.head, w.signature, w.event, w.head, w.witness
        )
    })?;
    Ok(0)
}
