//! Streaming verification of a chain of sealed events: sequence, links,
//! hashes and signatures, every problem named by its seq.

use std::collections::HashMap;
use std::fmt;

use rayon::prelude::*;

use super::batch::{actor_key, ActorKey, SigContext};
use super::{Head, SealedEvent, GENESIS};

/// What is wrong with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Sequence numbers skip (events deleted) or repeat/go back (events reordered).
    SequenceGap,
    /// `prev_hash` is not the previous event's hash.
    BrokenLink,
    /// The stored hash differs from the recomputed one (a field was changed).
    HashMismatch,
    /// The signature does not verify with the actor's key.
    BadSignature,
    /// The event names a key id no actor has.
    UnknownKey,
    /// The event cannot be encoded (e.g. details with floats).
    Unencodable,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::SequenceGap => "sequence-gap",
            ProblemKind::BrokenLink => "broken-link",
            ProblemKind::HashMismatch => "hash-mismatch",
            ProblemKind::BadSignature => "bad-signature",
            ProblemKind::UnknownKey => "unknown-signature-key",
            ProblemKind::Unencodable => "unencodable",
        })
    }
}

/// One problem found in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainProblem {
    pub seq: u64,
    pub kind: ProblemKind,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub message: String,
}

/// Result of [`verify_chain`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainReport {
    /// Events examined.
    pub checked: u64,
    /// Last event's (seq, stored hash), if any.
    pub head: Option<Head>,
    pub problems: Vec<ChainProblem>,
}

/// Signatures checked together in one batch equation. Larger batches amortise
/// the multiscalar multiplication better (measured: 64 → 9.4 µs, 256 → 8.2 µs,
/// 1024 → 7.4 µs per signature), smaller ones keep both cores busy on a
/// [`ChainVerifier::push_batch`] of a few thousand events and make the
/// per-event fallback after a failed batch cheaper.
pub const SIG_BATCH: usize = 512;

/// Streaming chain verifier: feed events in stored order with [`push_batch`],
/// then [`finish`]. Links and sequence are checked in order; hashes and
/// signatures of a batch are checked in parallel, signatures in batches of
/// [`SIG_BATCH`] (see "Signature verification" in ARCHITECTURE.md for how
/// close that is to `verify_strict`: exact but for one documented gap).
///
/// [`push_batch`]: ChainVerifier::push_batch
/// [`finish`]: ChainVerifier::finish
pub struct ChainVerifier<'k> {
    keys: &'k HashMap<String, String>,
    /// `None`: the key is malformed or weak (small order), so every event it
    /// signs is rejected, as `verify_strict` would.
    verifying: HashMap<String, Option<ActorKey>>,
    /// Secret per verifier: the batch coefficients must be unpredictable to
    /// whoever wrote the log. `None` (no OS randomness) means per-event
    /// `verify_strict` only.
    seed: Option<[u8; 32]>,
    prev: Option<(u64, [u8; 32])>,
    report: ChainReport,
}

impl<'k> ChainVerifier<'k> {
    /// `keys`: key id -> hex public key of every actor.
    pub fn new(keys: &'k HashMap<String, String>) -> Self {
        let verifying = keys.iter().map(|(id, hex_pk)| (id.clone(), actor_key(hex_pk))).collect();
        let mut seed = [0u8; 32];
        let seed = getrandom::getrandom(&mut seed).ok().map(|_| seed);
        ChainVerifier { keys, verifying, seed, prev: None, report: ChainReport::default() }
    }

    /// A verifier that checks every signature on its own with `verify_strict`
    /// (the reference the batch path is tested against).
    pub fn new_per_event(keys: &'k HashMap<String, String>) -> Self {
        ChainVerifier { seed: None, ..ChainVerifier::new(keys) }
    }

    /// Verify the next events of the log, in order.
    pub fn push_batch(&mut self, events: &[SealedEvent]) {
        // Per-event, order-independent checks in parallel.
        let ctx = SigContext { verifying: &self.verifying, keys: self.keys, seed: self.seed.as_ref() };
        let mut independent: Vec<ChainProblem> =
            events.par_chunks(SIG_BATCH).flat_map_iter(|chunk| ctx.check_chunk(chunk)).collect();
        for s in events {
            let e = &s.event;
            let (expect_seq, expect_prev) = match self.prev {
                None => (1, GENESIS),
                Some((seq, hash)) => (seq + 1, hash),
            };
            if e.seq != expect_seq {
                let what = if e.seq > expect_seq {
                    format!("events #{expect_seq}..#{} are missing", e.seq - 1)
                } else {
                    format!("event #{} follows #{} (reordered or duplicated)", e.seq, expect_seq - 1)
                };
                self.report.problems.push(ChainProblem {
                    seq: e.seq,
                    kind: ProblemKind::SequenceGap,
                    expected: Some(expect_seq.to_string()),
                    found: Some(e.seq.to_string()),
                    message: what,
                });
            }
            if e.prev_hash != expect_prev {
                self.report.problems.push(ChainProblem {
                    seq: e.seq,
                    kind: ProblemKind::BrokenLink,
                    expected: Some(hex::encode(expect_prev)),
                    found: Some(hex::encode(e.prev_hash)),
                    message: format!("event #{} does not point at the hash of the event before it", e.seq),
                });
            }
            self.prev = Some((e.seq, s.hash));
            self.report.checked += 1;
        }
        self.report.problems.append(&mut independent);
        self.report.head = self.prev.map(|(seq, hash)| Head::chain(seq, hash));
    }

    /// The report, problems ordered by sequence number.
    pub fn finish(mut self) -> ChainReport {
        self.report.problems.sort_by_key(|p| p.seq);
        self.report
    }
}

pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a SealedEvent>,
    keys: &HashMap<String, String>,
) -> ChainReport {
    let all: Vec<SealedEvent> = events.into_iter().cloned().collect();
    let mut v = ChainVerifier::new(keys);
    v.push_batch(&all);
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::super::batch::canonical_y;
    use super::super::testutil::{chain, keys_of};
    use super::super::{seal, Keypair};
    use super::*;
    use curve25519_dalek::scalar::Scalar;
    use proptest::prelude::*;

    #[test]
    fn clean_chain_verifies_and_tampering_is_named() {
        let key = Keypair::from_seed([1u8; 32]);
        let keys = keys_of(&key);
        let good = chain(&key, 6);
        let r = verify_chain(&good, &keys);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.checked, 6);
        assert_eq!(r.head, Some(good[5].head()));

        let mut edited = good.clone();
        edited[2].event.actor = "mallory".into();
        let r = verify_chain(&edited, &keys);
        assert_eq!(r.problems.len(), 1);
        assert_eq!((r.problems[0].seq, r.problems[0].kind), (3, ProblemKind::HashMismatch));

        let mut deleted = good.clone();
        deleted.remove(3);
        let r = verify_chain(&deleted, &keys);
        assert!(r.problems.iter().any(|p| p.seq == 5 && p.kind == ProblemKind::SequenceGap));
        assert!(r.problems.iter().any(|p| p.seq == 5 && p.kind == ProblemKind::BrokenLink));

        let other = Keypair::from_seed([2u8; 32]);
        let mut resigned = good.clone();
        resigned[1].signature = other.sign(&resigned[1].hash);
        let r = verify_chain(&resigned, &keys);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].kind, ProblemKind::BadSignature);
        assert!(r.problems[0].kind.to_string().contains("signature"));
    }

    #[test]
    fn streaming_equals_whole() {
        let key = Keypair::from_seed([3u8; 32]);
        let keys = keys_of(&key);
        let mut events = chain(&key, 10);
        events.swap(4, 5);
        let whole = verify_chain(&events, &keys);
        let mut v = ChainVerifier::new(&keys);
        for c in events.chunks(3) {
            v.push_batch(c);
        }
        assert_eq!(v.finish(), whole);
        assert!(!whole.problems.is_empty());
    }

    /// Bad signatures found by the batch path, with `verify_strict` as reference.
    fn bad_sigs(events: &[SealedEvent], keys: &HashMap<String, String>) -> Vec<u64> {
        let mut v = ChainVerifier::new(keys);
        v.push_batch(events);
        let batch: Vec<u64> =
            v.finish().problems.iter().filter(|p| p.kind == ProblemKind::BadSignature).map(|p| p.seq).collect();
        let mut r = ChainVerifier::new_per_event(keys);
        r.push_batch(events);
        let reference: Vec<u64> =
            r.finish().problems.iter().filter(|p| p.kind == ProblemKind::BadSignature).map(|p| p.seq).collect();
        assert_eq!(batch, reference, "batch and verify_strict disagree");
        batch
    }

    #[test]
    fn tampered_signature_in_a_large_batch_is_named() {
        let key = Keypair::from_seed([4u8; 32]);
        let keys = keys_of(&key);
        let mut events = chain(&key, 3 * SIG_BATCH as u64 + 7);
        events[SIG_BATCH + 100].signature[40] ^= 0x01;
        events[2 * SIG_BATCH + 3].signature[5] ^= 0x80;
        assert_eq!(bad_sigs(&events, &keys), vec![SIG_BATCH as u64 + 101, 2 * SIG_BATCH as u64 + 4]);
    }

    #[test]
    fn event_signed_by_another_key_in_a_batch_is_named() {
        let key = Keypair::from_seed([5u8; 32]);
        let other = Keypair::from_seed([6u8; 32]);
        let mut keys = keys_of(&key);
        let mut events = chain(&key, SIG_BATCH as u64);
        events[77].signature = other.sign(&events[77].hash);
        assert_eq!(bad_sigs(&events, &keys), vec![78]);
        // Both actors known, several actors in one batch: only the event whose
        // key id does not match its signer is bad.
        keys.insert(other.key_id(), other.public_hex());
        events[10] = seal(events[10].event.clone(), &other).unwrap();
        assert_eq!(bad_sigs(&events, &keys), vec![78]);
    }

    /// Small-order points of edwards25519 (RFC 8032 test lists / ZIP215).
    const SMALL_ORDER: [&str; 3] = [
        "0100000000000000000000000000000000000000000000000000000000000000", // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
    ];

    #[test]
    fn strictness_edge_cases_are_rejected_like_verify_strict() {
        let key = Keypair::from_seed([8u8; 32]);
        let keys = keys_of(&key);
        let events = chain(&key, 64);
        let l: [u8; 32] = {
            let mut b = [0u8; 32];
            hex::decode_to_slice("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", &mut b).unwrap();
            b
        };
        // s + l: same equation, non-canonical s (malleability).
        let mut high_s = events.clone();
        let s = Scalar::from_canonical_bytes(high_s[9].signature[32..].try_into().unwrap()).unwrap();
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for (i, out) in sum.iter_mut().enumerate() {
            let v = u16::from(s.as_bytes()[i]) + u16::from(l[i]) + carry;
            *out = v as u8;
            carry = v >> 8;
        }
        high_s[9].signature[32..].copy_from_slice(&sum);
        assert_eq!(bad_sigs(&high_s, &keys), vec![10]);
        // Small-order R (with any s) and non-canonical encodings of R.
        for (i, r) in SMALL_ORDER.iter().enumerate() {
            let mut bad = events.clone();
            hex::decode_to_slice(r, &mut bad[20 + i].signature[..32]).unwrap();
            assert_eq!(bad_sigs(&bad, &keys), vec![21 + i as u64]);
        }
        // y = p + 1 encodes the identity non-canonically; y = p - 1 with the
        // sign bit set is "-0" for the order-2 point.
        let mut noncanon = events.clone();
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        noncanon[30].signature[..32].copy_from_slice(&y);
        let mut neg_zero = [0xffu8; 32];
        neg_zero[0] = 0xec;
        noncanon[31].signature[..32].copy_from_slice(&neg_zero);
        assert_eq!(bad_sigs(&noncanon, &keys), vec![31, 32]);
        assert!(!canonical_y(&y) && canonical_y(&neg_zero));
        // A small-order actor key is refused for every event it signs.
        let weak = HashMap::from([(key.key_id(), SMALL_ORDER[2].to_string())]);
        assert_eq!(bad_sigs(&events[..3], &weak), vec![1, 2, 3]);
    }
    proptest! {
        /// The batch path agrees with per-event verify_strict on valid chains
        /// with random single-bit flips in signatures and hashes.
        #[test]
        fn batch_agrees_with_verify_strict(
            seed in any::<[u8; 32]>(),
            flips in prop::collection::vec((0usize..40, 0usize..96, 0u8..8), 0..4),
        ) {
            let key = Keypair::from_seed(seed);
            let keys = keys_of(&key);
            let mut events = chain(&key, 40);
            for (i, byte, bit) in flips {
                if byte < 64 {
                    events[i].signature[byte] ^= 1 << bit;
                } else {
                    events[i].hash[byte - 64] ^= 1 << bit;
                }
            }
            let _ = bad_sigs(&events, &keys);
        }

    }
}
