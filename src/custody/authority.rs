//! Which key may sign at which position of the log: actors' keys as the log
//! introduces, rotates and revokes them, and who may revoke.
//!
//! - `actor-added` (a row snapshot) introduces the actor's first key; the
//!   catalog creator's key, which adds itself, is valid from event 1.
//! - `key-rotated` changes the actor row's `public_key`/`key_id`; it must be
//!   signed by the *old* key (the actor hands over) and carry
//!   `new_key_proof`, the new key's signature over [`rotation_message`]
//!   (proof that the new key's holder took part). The old key may sign
//!   nothing after the rotation event.
//! - `key-revoked` (`{"key_id", "from_seq", "reason"}`) makes every event
//!   after `from_seq` signed by that key invalid. Only an actor whose role is
//!   one of [`KEY_AUTHORITY_ROLES`] may revoke, never their own key, and only
//!   with a key that is itself valid where the revocation stands.
//!   A key introduced by a rotation that is itself invalid (signed by a
//!   revoked or retired key, or not by the old key) is invalid too.
//!
//! Audit and bag verification build a [`KeyHistory`] from the actor events
//! and check every event against it ([`KeyHistory::check`]).

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{verify_signature, Action, Event, SealedEvent};
use crate::ids::Subject;

/// Roles whose actors may revoke another actor's key.
pub const KEY_AUTHORITY_ROLES: &[&str] = &["admin", "editor"];

/// What the new key signs in a rotation: `SHA-256("evcat-key-rotation-v1"
/// || len(actor) (4 bytes BE) || actor || old public key || new public key)`.
pub fn rotation_message(actor: &str, old_public: &[u8; 32], new_public: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"evcat-key-rotation-v1");
    h.update((actor.len() as u32).to_be_bytes());
    h.update(actor.as_bytes());
    h.update(old_public);
    h.update(new_public);
    h.finalize().into()
}

/// Why an event's key may not sign it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblemKind {
    /// Signed by a key revoked before this position.
    RevokedKey,
    /// Signed by a key replaced by a rotation before this position.
    RetiredKey,
    /// Signed by the key of another actor than the event names.
    ForeignKey,
    /// Signed by a key before the event that introduced it.
    KeyNotYetValid,
    /// A rotation not signed by the old key, or whose new-key proof fails.
    BadRotation,
    /// A revocation by an actor who may not revoke (role, own key, invalid key).
    UnauthorizedRevocation,
    /// The key came from a rotation that is itself invalid.
    InvalidOrigin,
}

impl fmt::Display for KeyProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyProblemKind::RevokedKey => "revoked-key",
            KeyProblemKind::RetiredKey => "retired-key",
            KeyProblemKind::ForeignKey => "key-of-another-actor",
            KeyProblemKind::KeyNotYetValid => "key-not-yet-valid",
            KeyProblemKind::BadRotation => "rotation-not-signed-by-old-key",
            KeyProblemKind::UnauthorizedRevocation => "unauthorized-revocation",
            KeyProblemKind::InvalidOrigin => "key-from-invalid-rotation",
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyProblem {
    pub seq: u64,
    pub kind: KeyProblemKind,
    pub message: String,
}

/// One key as the log knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    pub key_id: String,
    pub public_key: String,
    pub actor: String,
    /// The event that introduced it (actor-added or key-rotated).
    pub introduced_at: u64,
    /// The rotation that replaced it.
    pub retired_at: Option<u64>,
    /// `(from_seq, reason, by, revocation event)` of an effective revocation.
    pub revoked: Option<(u64, String, String, u64)>,
}

#[derive(Debug, Clone)]
struct Rotation {
    seq: u64,
    actor: String,
    signer: String,
    old: String,
    new: String,
    /// A problem of the rotation event itself (signer, proof).
    flaw: Option<String>,
}

#[derive(Debug, Clone)]
struct Revocation {
    event: SealedEvent,
    target: String,
    from: u64,
}

/// Keys and their validity, built from a log's actor events.
#[derive(Debug, Clone, Default)]
pub struct KeyHistory {
    keys: HashMap<String, KeyRecord>,
    rotations: HashMap<String, Rotation>,
    /// Problems of the rotation and revocation events themselves.
    problems: Vec<KeyProblem>,
}

fn row_str<'a>(row: &'a Value, k: &str) -> Option<&'a str> {
    row.get(k).and_then(Value::as_str)
}

fn change<'a>(e: &'a Event, field: &str, side: &str) -> Option<&'a str> {
    e.details.get("changes")?.get(field)?.get(side)?.as_str()
}

fn public_bytes(hex_pk: &str) -> Option<[u8; 32]> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(hex_pk, &mut b).ok().map(|_| b)
}

impl KeyHistory {
    /// Build from the log's events of subject `actor`, in `seq` order
    /// (other events are ignored, so the whole log may be passed too).
    pub fn build<'a>(events: impl IntoIterator<Item = &'a SealedEvent>) -> KeyHistory {
        let mut h = KeyHistory::default();
        let mut roles: HashMap<String, Option<String>> = HashMap::new();
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut revocations = Vec::new();
        for s in events {
            let e = &s.event;
            let Some(Subject::Actor(id)) = e.subject() else { continue };
            match e.action() {
                Action::ActorAdded => {
                    let Some(row) = e.details.get("row") else { continue };
                    let (Some(name), Some(pk), Some(kid)) =
                        (row_str(row, "name"), row_str(row, "public_key"), row_str(row, "key_id"))
                    else {
                        continue;
                    };
                    names.insert(id.0, name.to_string());
                    roles.insert(name.to_string(), row_str(row, "role").map(str::to_string));
                    // The catalog's creator adds their own key in the
                    // transaction that creates the catalog (event 1 first).
                    let introduced_at = if s.key_id == kid && h.keys.is_empty() { 1 } else { e.seq };
                    h.keys.entry(kid.to_string()).or_insert(KeyRecord {
                        key_id: kid.to_string(),
                        public_key: pk.to_string(),
                        actor: name.to_string(),
                        introduced_at,
                        retired_at: None,
                        revoked: None,
                    });
                }
                Action::KeyRotated => h.rotation(s, names.get(&id.0).cloned().unwrap_or_default()),
                Action::KeyRevoked => {
                    let target = e.detail_str("key_id").unwrap_or_default().to_string();
                    let from = e.details.get("from_seq").and_then(Value::as_u64).unwrap_or(u64::MAX);
                    let role = roles.get(&e.actor).cloned().flatten();
                    revocations.push((Revocation { event: s.clone(), target, from }, role));
                }
                _ => {}
            }
        }
        // Revocations in log order, each judged with the ones before it in force.
        for (r, role) in revocations {
            h.revoke(r, role.as_deref());
        }
        h
    }

    fn rotation(&mut self, s: &SealedEvent, actor: String) {
        let e = &s.event;
        let (Some(old), Some(new), Some(new_pk)) =
            (change(e, "key_id", "before"), change(e, "key_id", "after"), change(e, "public_key", "after"))
        else {
            return;
        };
        let old_pk = change(e, "public_key", "before").unwrap_or_default();
        let mut flaw = None;
        if s.key_id != old {
            flaw = Some(format!(
                "key rotation #{} of {actor} is signed by key {}, not by the old key {old}",
                e.seq, s.key_id
            ));
        } else {
            let proof = e.detail_str("new_key_proof").and_then(|p| {
                let mut b = [0u8; 64];
                hex::decode_to_slice(p, &mut b).ok().map(|_| b)
            });
            let msg = match (public_bytes(old_pk), public_bytes(new_pk)) {
                (Some(o), Some(n)) => Some(rotation_message(&actor, &o, &n)),
                _ => None,
            };
            let ok = matches!((proof, msg), (Some(p), Some(m)) if verify_signature(new_pk, &m, &p));
            if !ok {
                flaw = Some(format!("key rotation #{} of {actor}: the new key's proof does not verify", e.seq));
            }
        }
        if let Some(f) = &flaw {
            self.problems.push(KeyProblem { seq: e.seq, kind: KeyProblemKind::BadRotation, message: f.clone() });
        }
        if let Some(k) = self.keys.get_mut(old) {
            k.retired_at.get_or_insert(e.seq);
        }
        self.keys.entry(new.to_string()).or_insert(KeyRecord {
            key_id: new.to_string(),
            public_key: new_pk.to_string(),
            actor: actor.clone(),
            introduced_at: e.seq,
            retired_at: None,
            revoked: None,
        });
        self.rotations.insert(
            new.to_string(),
            Rotation { seq: e.seq, actor, signer: s.key_id.clone(), old: old.to_string(), new: new.to_string(), flaw },
        );
    }

    fn revoke(&mut self, r: Revocation, role: Option<&str>) {
        let e = &r.event.event;
        let refuse = |h: &mut KeyHistory, why: String| {
            h.problems.push(KeyProblem {
                seq: e.seq,
                kind: KeyProblemKind::UnauthorizedRevocation,
                message: format!("revocation #{} by {}: {why}; it has no effect", e.seq, e.actor),
            })
        };
        let Some(target) = self.keys.get(&r.target).cloned() else {
            return refuse(self, format!("key {} is unknown", r.target));
        };
        if !role.is_some_and(|role| KEY_AUTHORITY_ROLES.contains(&role)) {
            return refuse(
                self,
                format!(
                    "{} has role {}, and only {} may revoke keys",
                    e.actor,
                    role.unwrap_or("(none)"),
                    KEY_AUTHORITY_ROLES.join(" or ")
                ),
            );
        }
        if target.actor == e.actor {
            return refuse(self, "an actor cannot revoke their own key (ask another actor with the role)".into());
        }
        if let Some(p) = self.check(&r.event) {
            return refuse(self, format!("it is signed with a key that may not sign there ({})", p.message));
        }
        let reason = e.reason.clone().or_else(|| e.detail_str("reason").map(str::to_string)).unwrap_or_default();
        if let Some(k) = self.keys.get_mut(&r.target) {
            if k.revoked.as_ref().is_none_or(|(from, ..)| r.from < *from) {
                k.revoked = Some((r.from, reason, e.actor.clone(), e.seq));
            }
        }
    }

    /// Every key ever introduced: key id -> hex public key (what the
    /// signature verifier needs).
    pub fn public_keys(&self) -> HashMap<String, String> {
        self.keys.iter().map(|(id, k)| (id.clone(), k.public_key.clone())).collect()
    }

    pub fn key(&self, key_id: &str) -> Option<&KeyRecord> {
        self.keys.get(key_id)
    }

    /// Problems of rotation and revocation events themselves.
    pub fn problems(&self) -> &[KeyProblem] {
        &self.problems
    }

    /// Why `s`'s key may not sign it at its position, if it may not. Unknown
    /// keys are the signature verifier's business, not this check's.
    pub fn check(&self, s: &SealedEvent) -> Option<KeyProblem> {
        self.check_at(&s.key_id, &s.event.actor, s.event.seq, 0)
    }

    fn check_at(&self, key_id: &str, actor: &str, seq: u64, depth: usize) -> Option<KeyProblem> {
        let k = self.keys.get(key_id)?;
        let p = |kind, message| Some(KeyProblem { seq, kind, message });
        if k.actor != actor {
            return p(
                KeyProblemKind::ForeignKey,
                format!("event #{seq} names actor {actor} but is signed by key {key_id} of {}", k.actor),
            );
        }
        if let Some((from, reason, by, at)) = &k.revoked {
            if seq > *from {
                return p(
                    KeyProblemKind::RevokedKey,
                    format!(
                        "event #{seq} is signed by key {key_id} of {actor}, revoked from #{from} on by {by} (#{at}): {reason}"
                    ),
                );
            }
        }
        if k.retired_at.is_some_and(|r| seq > r) {
            return p(
                KeyProblemKind::RetiredKey,
                format!(
                    "event #{seq} is signed by key {key_id} of {actor}, replaced by rotation #{}",
                    k.retired_at.unwrap_or_default()
                ),
            );
        }
        if seq < k.introduced_at {
            return p(
                KeyProblemKind::KeyNotYetValid,
                format!("event #{seq} is signed by key {key_id}, which the log adds only at #{}", k.introduced_at),
            );
        }
        if let Some(rot) = self.rotations.get(key_id) {
            let origin = rot.flaw.clone().or_else(|| {
                (depth < 64)
                    .then(|| self.check_at(&rot.signer, &rot.actor, rot.seq, depth + 1))
                    .flatten()
                    .map(|q| q.message)
            });
            if let Some(why) = origin {
                return p(
                    KeyProblemKind::InvalidOrigin,
                    format!(
                        "event #{seq} is signed by key {} of {actor}, which comes from invalid rotation #{} of key {} ({why})",
                        rot.new, rot.seq, rot.old
                    ),
                );
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
