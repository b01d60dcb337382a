//! Rotation, revocation and roles on small logs built here.

use serde_json::{json, Value};

use super::*;
use crate::custody::{seal, Keypair, GENESIS};

struct Log {
    events: Vec<SealedEvent>,
}

impl Log {
    fn push(&mut self, subject: (&str, Option<i64>), action: &str, actor: &str, key: &Keypair, details: Value) -> u64 {
        self.push_with_reason(subject, action, actor, key, details, None)
    }

    fn push_with_reason(
        &mut self,
        subject: (&str, Option<i64>),
        action: &str,
        actor: &str,
        key: &Keypair,
        details: Value,
        reason: Option<&str>,
    ) -> u64 {
        let seq = self.events.len() as u64 + 1;
        let e = Event {
            seq,
            subject_type: subject.0.into(),
            subject_id: subject.1,
            action: action.into(),
            actor: actor.into(),
            at: "2026-03-14T05:06:07.000000Z".into(),
            host: "desk".into(),
            location: None,
            reason: reason.map(str::to_string),
            details,
            prev_hash: self.events.last().map(|e| e.hash).unwrap_or(GENESIS),
        };
        self.events.push(seal(e, key).unwrap());
        seq
    }

    fn add(&mut self, id: i64, name: &str, role: &str, key: &Keypair, by: &str, by_key: &Keypair) {
        let row = json!({"row": {"name": name, "role": role, "public_key": key.public_hex(), "key_id": key.key_id(), "created_at": "t"}});
        self.push(("actor", Some(id)), "actor-added", by, by_key, row);
    }

    fn note(&mut self, actor: &str, key: &Keypair) -> u64 {
        self.push(("catalog", None), "note", actor, key, json!({"note": "x"}))
    }

    /// `name` (actor `id`) rotates from `old` to `new`, the event signed by `signer`.
    fn rotate(&mut self, id: i64, name: &str, old: &Keypair, new: &Keypair, signer: &Keypair) -> u64 {
        let mut o = [0u8; 32];
        let mut n = [0u8; 32];
        hex::decode_to_slice(old.public_hex(), &mut o).unwrap();
        hex::decode_to_slice(new.public_hex(), &mut n).unwrap();
        let proof = hex::encode(new.sign(&rotation_message(name, &o, &n)));
        let d = json!({
            "changes": {
                "public_key": {"before": old.public_hex(), "after": new.public_hex()},
                "key_id": {"before": old.key_id(), "after": new.key_id()},
            },
            "new_key_proof": proof,
        });
        self.push(("actor", Some(id)), "key-rotated", name, signer, d)
    }

    fn revoke(&mut self, id: i64, target: &Keypair, from: u64, by: &str, by_key: &Keypair) -> u64 {
        let d = json!({"key_id": target.key_id(), "from_seq": from});
        self.push_with_reason(("actor", Some(id)), "key-revoked", by, by_key, d, Some("laptop stolen"))
    }

    fn problems(&self) -> (KeyHistory, Vec<(u64, KeyProblemKind)>) {
        let h = KeyHistory::build(&self.events);
        let mut out: Vec<(u64, KeyProblemKind)> = h.problems().iter().map(|p| (p.seq, p.kind)).collect();
        out.extend(self.events.iter().filter_map(|e| h.check(e)).map(|p| (p.seq, p.kind)));
        out.sort_by_key(|p| p.0);
        (h, out)
    }
}

fn keys() -> (Keypair, Keypair, Keypair, Keypair) {
    (Keypair::from_seed([1; 32]), Keypair::from_seed([2; 32]), Keypair::from_seed([3; 32]), Keypair::from_seed([4; 32]))
}

/// alice (editor) adds bob (archivist); bob writes a note.
fn base() -> (Log, Keypair, Keypair) {
    let (alice, bob, ..) = keys();
    let mut log = Log { events: Vec::new() };
    log.add(1, "alice", "editor", &alice, "alice", &alice);
    log.add(2, "bob", "archivist", &bob, "alice", &alice);
    log.note("bob", &bob);
    (log, alice, bob)
}

#[test]
fn a_rotation_signed_by_the_old_key_retires_it() {
    let (mut log, _, bob) = base();
    let (.., bob2, _) = keys();
    let r = log.rotate(2, "bob", &bob, &bob2, &bob);
    log.note("bob", &bob2);
    let stale = log.note("bob", &bob);
    let (h, p) = log.problems();
    assert_eq!(p, [(stale, KeyProblemKind::RetiredKey)]);
    assert_eq!(h.key(&bob.key_id()).unwrap().retired_at, Some(r));
    assert_eq!(h.public_keys().len(), 3, "old keys stay known: earlier events verify");
}

#[test]
fn a_rotation_not_signed_by_the_old_key_is_named_and_its_key_is_invalid() {
    let (mut log, _, bob) = base();
    let (.., bob2, mallory) = keys();
    let r = log.rotate(2, "bob", &bob, &bob2, &mallory);
    let after = log.note("bob", &bob2);
    let (h, p) = log.problems();
    assert_eq!(p, [(r, KeyProblemKind::BadRotation), (after, KeyProblemKind::InvalidOrigin)]);
    assert!(h.problems()[0].message.contains("not by the old key"), "{:?}", h.problems());
    // A bad proof of the new key, signed by the right old key.
    let (mut log, _, bob) = base();
    let mut d = json!(null);
    log.rotate(2, "bob", &bob, &bob2, &bob);
    if let Some(last) = log.events.last_mut() {
        d = last.event.details.clone();
        d["new_key_proof"] = json!("00".repeat(64));
    }
    log.events.pop();
    let r = log.push(("actor", Some(2)), "key-rotated", "bob", &bob, d);
    let (h, _) = log.problems();
    assert_eq!(h.problems()[0].seq, r);
    assert!(h.problems()[0].message.contains("proof does not verify"));
}

#[test]
fn a_revoked_key_fails_after_its_from_seq_with_the_reason() {
    let (mut log, alice, bob) = base();
    let before = log.note("bob", &bob);
    let at = log.revoke(2, &bob, before, "alice", &alice);
    let after = log.note("bob", &bob);
    let (h, p) = log.problems();
    assert_eq!(p, [(after, KeyProblemKind::RevokedKey)], "events up to #{before} stay valid");
    assert_eq!(h.key(&bob.key_id()).unwrap().revoked.as_ref().map(|r| r.3), Some(at));
    let msg = h.check(&log.events[after as usize - 1]).unwrap().message;
    assert!(msg.contains("laptop stolen") && msg.contains("by alice"), "{msg}");
}

#[test]
fn revocations_need_the_role_another_actor_and_a_valid_key() {
    let (mut log, alice, bob) = base();
    // bob is an archivist: no authority.
    let r1 = log.revoke(1, &alice, 0, "bob", &bob);
    // alice cannot revoke her own key.
    let r2 = log.revoke(1, &alice, 0, "alice", &alice);
    let (h, p) = log.problems();
    assert_eq!(p, [(r1, KeyProblemKind::UnauthorizedRevocation), (r2, KeyProblemKind::UnauthorizedRevocation)]);
    assert!(h.problems()[0].message.contains("role archivist"), "{:?}", h.problems());
    assert!(h.key(&alice.key_id()).unwrap().revoked.is_none(), "no effect");
}

#[test]
fn revoking_a_key_before_its_rotation_invalidates_the_rotated_key() {
    // bob's key leaks at #3; the thief rotates it at #4 and signs with the new key.
    let (mut log, alice, bob) = base();
    let (.., thief, _) = keys();
    log.rotate(2, "bob", &bob, &thief, &bob);
    let forged = log.note("bob", &thief);
    log.revoke(2, &bob, 3, "alice", &alice);
    let (_, p) = log.problems();
    assert!(p.contains(&(4, KeyProblemKind::RevokedKey)), "{p:?}");
    assert!(p.contains(&(forged, KeyProblemKind::InvalidOrigin)), "{p:?}");
}

#[test]
fn an_event_signed_with_another_actors_key_is_named() {
    let (mut log, alice, _) = base();
    let e = log.note("bob", &alice);
    let (_, p) = log.problems();
    assert_eq!(p, [(e, KeyProblemKind::ForeignKey)]);
}
