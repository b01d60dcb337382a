//! Key rotation and revocation, and witnessed heads (the model is
//! [`crate::custody::authority`]; this module writes the events and reads
//! the key history of this catalog's log).

use std::path::{Path, PathBuf};

use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::json;

use super::{log, tree, Catalog, RecordKind, KEYS_DIR};
use crate::custody::authority::{rotation_message, KeyHistory, KEY_AUTHORITY_ROLES};
use crate::custody::{verify_signature, Action, Head, Keypair};
use crate::error::{Error, Result};

/// Where `name`'s key with `key_id` is: `keys/NAME-KEYID.key` while a
/// rotation is being completed (or was interrupted), else `keys/NAME.key`.
pub(crate) fn key_path(root: &Path, name: &str, key_id: &str) -> PathBuf {
    let pending = root.join(KEYS_DIR).join(format!("{name}-{key_id}.key"));
    if pending.exists() {
        pending
    } else {
        root.join(KEYS_DIR).join(format!("{name}.key"))
    }
}

/// The key history of this log (actor events only, via the subject index).
pub fn key_history(cat: &Catalog) -> Result<KeyHistory> {
    Ok(KeyHistory::build(&log::for_subject_type(cat, RecordKind::Actor.name())?))
}

/// A revoked key signs nothing more.
pub(crate) fn refuse_revoked(cat: &Catalog, name: &str, key_id: &str) -> Result<()> {
    if log::events_with_action(cat, &Action::KeyRevoked)?.is_empty() {
        return Ok(());
    }
    if let Some((from, reason, by, at)) = key_history(cat)?.key(key_id).and_then(|k| k.revoked.clone()) {
        return Err(Error::Conflict(format!(
            "the key of actor {name:?} ({key_id}) was revoked from event #{from} on by {by} (event #{at}): {reason}; it can sign nothing more"
        )));
    }
    Ok(())
}

fn actor_row(cat: &Catalog, name: &str) -> Result<(i64, String, String, Option<String>)> {
    cat.conn()
        .query_row("SELECT id, public_key, key_id, role FROM actor WHERE name = ?1", [name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?
        .ok_or_else(|| Error::not_found(format!("actor {name:?}")))
}

#[derive(Debug, Clone, Serialize)]
pub struct Rotated {
    pub actor: String,
    pub old_key_id: String,
    pub new_key_id: String,
    pub key_file: PathBuf,
    pub retired_key_file: Option<PathBuf>,
    pub event: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revoked {
    pub actor: String,
    pub key_id: String,
    pub from_seq: u64,
    pub reason: String,
    pub by: String,
    pub event: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Witnessed {
    pub head: Head,
    pub witness: String,
    pub key_id: String,
    /// Ed25519 of the witness over the head's statement digest (hex).
    pub signature: String,
    pub event: u64,
}

impl Catalog {
    /// Replace the acting actor's key: a new key, the `key-rotated` event
    /// signed by the old one (and carrying the new key's proof), then the key
    /// files swapped (`keys/NAME.key` becomes the new key; the old one is
    /// kept as `keys/NAME.KEYID.retired`). `key_out`: write the new key there
    /// instead.
    pub fn rotate_key(&mut self, name: &str, key_out: Option<&Path>) -> Result<Rotated> {
        let acting = self.signer()?.actor.clone();
        if acting != name {
            return Err(Error::Conflict(format!(
                "a key is rotated by its own holder: run `evcat --actor {name} actor rotate {name}` (acting as {acting})"
            )));
        }
        let (id, old_public, old_id, _) = actor_row(self, name)?;
        let new = Keypair::generate()?;
        let pending = self.root().join(KEYS_DIR).join(format!("{name}-{}.key", new.key_id()));
        let new_path = key_out.map(Path::to_path_buf).unwrap_or(pending.clone());
        new.save(&new_path)?;
        let mut o = [0u8; 32];
        let mut n = [0u8; 32];
        hex::decode_to_slice(&old_public, &mut o)
            .map_err(|_| Error::Corrupt(format!("actor {name} has a malformed key")))?;
        hex::decode_to_slice(new.public_hex(), &mut n).map_err(|_| Error::Corrupt("new key".into()))?;
        let proof = hex::encode(new.sign(&rotation_message(name, &o, &n)));
        use rusqlite::types::Value as V;
        let changes = [("public_key", V::Text(new.public_hex())), ("key_id", V::Text(new.key_id()))];
        let written = self.write(|w| {
            w.update_row(RecordKind::Actor, id, &changes, Action::KeyRotated, None, json!({ "new_key_proof": proof }))?;
            Ok(w.appended().last().copied().unwrap_or_default())
        });
        let event = match written {
            Ok(seq) => seq,
            Err(e) => {
                let _ = std::fs::remove_file(&new_path);
                return Err(e);
            }
        };
        // The old key may sign nothing more; this handle must not use it.
        self.signer = std::cell::OnceCell::new();
        let (mut key_file, mut retired) = (new_path.clone(), None);
        if key_out.is_none() && self.actor_opts.key_file.is_none() {
            let current = self.root().join(KEYS_DIR).join(format!("{name}.key"));
            let old = self.root().join(KEYS_DIR).join(format!("{name}.{old_id}.retired"));
            // Crash-safe order: until the second rename, key_path() finds the
            // pending file; after it, the default name.
            if current.exists() {
                std::fs::rename(&current, &old).map_err(|e| Error::io("retire key file", &current, e))?;
                retired = Some(old);
            }
            std::fs::rename(&pending, &current).map_err(|e| Error::io("install key file", &pending, e))?;
            key_file = current;
        }
        Ok(Rotated {
            actor: name.into(),
            old_key_id: old_id,
            new_key_id: new.key_id(),
            key_file,
            retired_key_file: retired,
            event,
        })
    }

    /// Revoke `name`'s key (the one it has now, or `key_id`) from event
    /// `from_seq` on: every later event it signs fails audit with `reason`.
    /// The acting actor must be another actor with a key-authority role.
    pub fn revoke_key(&mut self, name: &str, from_seq: u64, reason: &str, key_id: Option<&str>) -> Result<Revoked> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("revocation", name, "--reason must say why"));
        }
        let acting = self.signer()?.actor.clone();
        let (_, _, _, role) = actor_row(self, &acting)?;
        if !role.as_deref().is_some_and(|r| KEY_AUTHORITY_ROLES.contains(&r)) {
            return Err(Error::Conflict(format!(
                "{acting} (role {}) may not revoke keys: only an actor with role {} may",
                role.as_deref().unwrap_or("none"),
                KEY_AUTHORITY_ROLES.join(" or ")
            )));
        }
        if acting == name {
            return Err(Error::Conflict(
                "an actor cannot revoke their own key; ask another actor with the role".into(),
            ));
        }
        let (id, _, current, _) = actor_row(self, name)?;
        let key_id = key_id.unwrap_or(&current).to_string();
        let history = key_history(self)?;
        match history.key(&key_id) {
            Some(k) if k.actor == name => {}
            _ => return Err(Error::invalid("key", key_id, format!("is not a key of {name}"))),
        }
        let head = log::head(self)?.map(|h| h.seq).unwrap_or(0);
        if from_seq > head {
            return Err(Error::invalid("--from", from_seq.to_string(), format!("the log ends at #{head}")));
        }
        let details = json!({ "key_id": key_id, "from_seq": from_seq, "actor": name });
        let subject = RecordKind::Actor.subject(id);
        let event = self.write(|w| w.append(subject, Action::KeyRevoked, Some(reason), details))?;
        Ok(Revoked { actor: name.into(), key_id, from_seq, reason: reason.into(), by: acting, event })
    }

    /// The acting actor co-signs a head (default: the current one): a
    /// `witnessed` event whose details carry the witness's signature over
    /// the head's statement digest, checkable without the log.
    pub fn witness_head(&mut self, head: Option<&Head>) -> Result<Witnessed> {
        let head = tree::resolve_head(self, head)?;
        let digest = head.statement_digest().ok_or_else(|| Error::Corrupt("a head without a root".into()))?;
        let signer = self.signer()?;
        let (witness, key_id) = (signer.actor.clone(), signer.key.key_id());
        let signature = hex::encode(signer.key.sign(&digest));
        let details = json!({ "head": head, "witness": witness, "key_id": key_id, "signature": signature });
        let event = self.write(|w| w.append(crate::ids::Subject::Catalog, Action::Witnessed, None, details))?;
        Ok(Witnessed { head, witness, key_id, signature, event })
    }

    /// Does `head` carry a valid co-signature of `witness`? `Err(why)` says
    /// what is missing or wrong.
    pub fn check_witness(&self, head: &Head, witness: &str) -> Result<std::result::Result<u64, String>> {
        let history = key_history(self)?;
        let mut seen = Vec::new();
        for e in log::events_with_action(self, &Action::Witnessed)? {
            if e.event.actor != witness {
                continue;
            }
            let Some(h) = e.event.detail_str("head").and_then(|h| h.parse::<Head>().ok()) else { continue };
            if !h.agrees_with(head) || h.root.is_none() {
                continue;
            }
            let ours = tree::head_at(self, h.seq)?;
            if !ours.is_some_and(|o| o.agrees_with(&h)) {
                seen.push(format!("#{}: the witnessed head is not a head of this log", e.seq()));
                continue;
            }
            let kid = e.event.detail_str("key_id").unwrap_or_default();
            let sig = e.event.detail_str("signature").and_then(|s| {
                let mut b = [0u8; 64];
                hex::decode_to_slice(s, &mut b).ok().map(|_| b)
            });
            let key = history.key(kid).filter(|k| k.actor == witness);
            let valid = match (key, sig, h.statement_digest()) {
                (Some(k), Some(sig), Some(d)) => verify_signature(&k.public_key, &d, &sig),
                _ => false,
            };
            if !valid {
                seen.push(format!("#{}: the co-signature does not verify with a key of {witness}", e.seq()));
                continue;
            }
            if let Some(p) = history.check(&e) {
                seen.push(format!("#{}: {}", e.seq(), p.message));
                continue;
            }
            return Ok(Ok(e.seq()));
        }
        Ok(Err(if seen.is_empty() {
            format!("{witness} has not witnessed head {head}")
        } else {
            format!("no valid co-signature of {witness} on head {head} ({})", seen.join("; "))
        }))
    }
}
