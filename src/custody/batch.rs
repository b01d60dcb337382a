//! Batch verification of ed25519 signatures, exactly as strict as
//! `verify_strict` but for the one gap documented in ARCHITECTURE.md
//! ("Signature verification").

use std::collections::HashMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256, Sha512};

use super::encoding::event_hash;
use super::verify::{ChainProblem, ProblemKind};
use super::SealedEvent;

/// An actor's public key as the verifier uses it.
pub(super) struct ActorKey {
    vk: VerifyingKey,
    point: EdwardsPoint,
    /// Torsion-free keys may go through the batch equation; others (possible
    /// only for a hand-crafted key) are checked one event at a time with
    /// `verify_strict`, because a torsion component of A could cancel between
    /// events in a cofactorless batch.
    batchable: bool,
}

pub(super) fn actor_key(hex_pk: &str) -> Option<ActorKey> {
    let mut pk = [0u8; 32];
    hex::decode_to_slice(hex_pk, &mut pk).ok()?;
    let vk = VerifyingKey::from_bytes(&pk).ok()?;
    // verify_strict rejects every signature under a small-order key; decide
    // that once per actor instead of once per event.
    if vk.is_weak() {
        return None;
    }
    let point = CompressedEdwardsY(pk).decompress()?;
    let batchable = point.is_torsion_free();
    Some(ActorKey { vk, point, batchable })
}

/// One signature that passed the cheap strict prechecks, ready for the batch.
struct Candidate<'a> {
    event: &'a SealedEvent,
    key: &'a ActorKey,
    r: EdwardsPoint,
    s: Scalar,
    /// k = SHA-512(R || A || M) mod l, as in RFC 8032.
    k: Scalar,
}

/// `y < p = 2^255 - 19` for the y coordinate of a compressed point (sign bit
/// ignored). `decompress` reduces y mod p, while `verify_strict` compares the
/// canonical compression of the recomputed R with the signature's bytes, so a
/// non-canonical R never verifies strictly and must not pass the batch either.
pub(super) fn canonical_y(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
}

/// The checks `verify_strict` makes besides its equation, done exactly:
/// canonical s, R decodable, canonical and not of small order. `None` means
/// `verify_strict` rejects the signature.
fn precheck<'a>(event: &'a SealedEvent, key: &'a ActorKey) -> Option<Candidate<'a>> {
    let (r_bytes, s_bytes) = event.signature.split_at(32);
    let r_bytes: [u8; 32] = r_bytes.try_into().ok()?;
    let s_bytes: [u8; 32] = s_bytes.try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    if !canonical_y(&r_bytes) {
        return None;
    }
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    // Also covers the two points with x = 0 (identity, order 2), the only
    // ones whose sign bit a canonical encoding fixes independently of y.
    if r.is_small_order() {
        return None;
    }
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(key.vk.as_bytes());
    h.update(event.hash);
    let k = Scalar::from_hash(h);
    Some(Candidate { event, key, r, s, k })
}

/// True when `R_i = [s_i]B - [k_i]A_i` for every candidate, checked as
/// `[-Σ z_i s_i]B + Σ [z_i]R_i + Σ_actors [Σ z_i k_i]A = 0` with secret random
/// 128-bit z_i. Terms of one actor share one point, so a batch of n events by
/// m actors is one multiscalar multiplication over n + m + 1 points.
fn batch_holds(cands: &[Candidate<'_>], seed: &[u8; 32]) -> bool {
    let mut b_coef = Scalar::ZERO;
    let mut actors: Vec<(&EdwardsPoint, Scalar)> = Vec::new();
    let mut zs = Vec::with_capacity(cands.len());
    for c in cands {
        // Per-event coefficient bound to the secret seed and the signature,
        // so nobody who writes a log can aim for coefficients that cancel.
        let mut h = Sha256::new();
        h.update(seed);
        h.update(c.event.event.seq.to_be_bytes());
        h.update(c.event.hash);
        h.update(c.event.signature);
        let d = h.finalize();
        let mut z16 = [0u8; 16];
        z16.copy_from_slice(&d[..16]);
        let z = Scalar::from(u128::from_le_bytes(z16));
        b_coef += z * c.s;
        let zk = z * c.k;
        match actors.iter_mut().find(|(p, _)| std::ptr::eq(*p, &c.key.point)) {
            Some((_, coef)) => *coef += zk,
            None => actors.push((&c.key.point, zk)),
        }
        zs.push(z);
    }
    let scalars = std::iter::once(-b_coef).chain(zs).chain(actors.iter().map(|(_, c)| *c));
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(cands.iter().map(|c| c.r))
        .chain(actors.iter().map(|(p, _)| **p));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

pub(super) struct SigContext<'v> {
    pub(super) verifying: &'v HashMap<String, Option<ActorKey>>,
    pub(super) keys: &'v HashMap<String, String>,
    pub(super) seed: Option<&'v [u8; 32]>,
}

impl SigContext<'_> {
    pub(super) fn check_chunk(&self, chunk: &[SealedEvent]) -> Vec<ChainProblem> {
        let mut out = Vec::new();
        let mut cands = Vec::with_capacity(chunk.len());
        for s in chunk {
            check_hash(s, &mut out);
            match self.verifying.get(&s.key_id) {
                None => out.push(ChainProblem {
                    seq: s.event.seq,
                    kind: ProblemKind::UnknownKey,
                    expected: Some(format!("a key of actor {:?}", s.event.actor)),
                    found: Some(s.key_id.clone()),
                    message: format!("event #{} is signed with key {} that no actor holds", s.event.seq, s.key_id),
                }),
                Some(None) => out.push(self.bad_signature(s)),
                Some(Some(key)) if self.seed.is_none() || !key.batchable => {
                    if !strict(key, s) {
                        out.push(self.bad_signature(s));
                    }
                }
                Some(Some(key)) => match precheck(s, key) {
                    Some(c) => cands.push(c),
                    None => out.push(self.bad_signature(s)),
                },
            }
        }
        let batch_ok = match self.seed {
            Some(seed) => cands.is_empty() || batch_holds(&cands, seed),
            None => true,
        };
        if !batch_ok {
            // Name exactly which events fail, with the reference check.
            for c in &cands {
                if !strict(c.key, c.event) {
                    out.push(self.bad_signature(c.event));
                }
            }
        }
        out
    }

    fn bad_signature(&self, s: &SealedEvent) -> ChainProblem {
        let seq = s.event.seq;
        ChainProblem {
            seq,
            kind: ProblemKind::BadSignature,
            expected: self.keys.get(&s.key_id).map(|pk| format!("signature by {pk}")),
            found: Some(hex::encode(s.signature)),
            message: format!("event #{seq}: the signature does not verify with the key of actor {:?}", s.event.actor),
        }
    }
}

fn strict(key: &ActorKey, s: &SealedEvent) -> bool {
    key.vk.verify_strict(&s.hash, &Signature::from_bytes(&s.signature)).is_ok()
}

fn check_hash(s: &SealedEvent, out: &mut Vec<ChainProblem>) {
    let seq = s.event.seq;
    match event_hash(&s.event) {
        Err(e) => out.push(ChainProblem {
            seq,
            kind: ProblemKind::Unencodable,
            expected: None,
            found: None,
            message: format!("event #{seq}: {e}"),
        }),
        Ok(h) if h != s.hash => out.push(ChainProblem {
            seq,
            kind: ProblemKind::HashMismatch,
            expected: Some(hex::encode(h)),
            found: Some(hex::encode(s.hash)),
            message: format!("event #{seq} was altered after it was sealed: its fields hash to a different value"),
        }),
        Ok(_) => {}
    }
}
