//! Proof documents: what `evcat log --proof` and `--consistency` print,
//! bags carry and `evcat verify-proof` checks offline, with nothing but the
//! document (and, to be meaningful, a head the verifier trusts).

use serde::{Deserialize, Serialize};

use super::tree::{self, Hash, ProofError};
use super::{event_hash, Head, SealedEvent};

/// Event `seq` is leaf `seq - 1` of the tree of `head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The head proven against; it must carry a tree root.
    pub head: Head,
    pub seq: u64,
    /// The event's chain hash (the leaf input).
    #[serde(with = "super::hex_array")]
    pub event_hash: Hash,
    /// RFC 9162 audit path, leaf level first.
    #[serde(with = "hex_list")]
    pub path: Vec<Hash>,
    /// The event itself, so the verifier can recompute its hash from its fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<SealedEvent>>,
}

/// The tree of `second` extends the tree of `first` (append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub first: Head,
    pub second: Head,
    #[serde(with = "hex_list")]
    pub path: Vec<Hash>,
}

/// Either proof, tagged `"proof": "inclusion" | "consistency"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "proof", rename_all = "kebab-case")]
pub enum Proof {
    Inclusion(InclusionProof),
    Consistency(ConsistencyProof),
}

fn root_of(head: &Head, which: &str) -> Result<Hash, ProofError> {
    head.root.ok_or_else(|| {
        ProofError::OutOfRange(format!("the {which} head {head} has no tree root (an old SEQ:HASH head)"))
    })
}

impl InclusionProof {
    /// Check the path against the head's root; the event, when included,
    /// must hash to `event_hash`; the head's own event must be the head's
    /// chain hash (which binds the tree root to the chain).
    pub fn verify(&self) -> Result<(), ProofError> {
        let root = root_of(&self.head, "")?;
        if self.seq == 0 {
            return Err(ProofError::OutOfRange("event #0 does not exist; sequence numbers start at 1".into()));
        }
        if let Some(e) = &self.event {
            let recomputed = event_hash(&e.event)
                .map_err(|err| ProofError::OutOfRange(format!("event #{} cannot be encoded: {err}", e.seq())))?;
            if e.seq() != self.seq || e.hash != self.event_hash || recomputed != self.event_hash {
                return Err(ProofError::OutOfRange(format!(
                    "the event in the proof does not hash to the proven hash {} (it hashes to {})",
                    hex::encode(self.event_hash),
                    hex::encode(recomputed)
                )));
            }
        }
        if self.seq == self.head.seq && self.event_hash != self.head.hash {
            return Err(ProofError::OutOfRange(format!(
                "event #{} is the head's own event but its hash differs from the head's chain hash",
                self.seq
            )));
        }
        tree::verify_inclusion(self.seq - 1, self.head.seq, &tree::leaf_hash(&self.event_hash), &self.path, &root)
    }
}

impl ConsistencyProof {
    pub fn verify(&self) -> Result<(), ProofError> {
        let (r1, r2) = (root_of(&self.first, "first")?, root_of(&self.second, "second")?);
        if self.first.seq == self.second.seq && self.first.hash != self.second.hash {
            return Err(ProofError::OutOfRange(format!(
                "heads {} and {} name the same event with different hashes",
                self.first, self.second
            )));
        }
        tree::verify_consistency(self.first.seq, self.second.seq, &r1, &r2, &self.path)
    }
}

impl Proof {
    pub fn verify(&self) -> Result<(), ProofError> {
        match self {
            Proof::Inclusion(p) => p.verify(),
            Proof::Consistency(p) => p.verify(),
        }
    }
}

/// A list of 32-byte hashes as lowercase hex strings (serde).
pub(crate) mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        items
            .iter()
            .map(|s| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out)
                    .map_err(|_| serde::de::Error::custom(format!("expected 64 hex digits, found {s:?}")))?;
                Ok(out)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::chain;
    use super::super::Keypair;
    use super::*;

    fn setup(n: u64) -> (Vec<SealedEvent>, Vec<Hash>) {
        let events = chain(&Keypair::from_seed([3; 32]), n);
        let leaves = events.iter().map(|e| tree::leaf_hash(&e.hash)).collect();
        (events, leaves)
    }

    fn head_of(events: &[SealedEvent], leaves: &[Hash], size: usize) -> Head {
        events[size - 1].head().with_root(tree::root_of(&leaves[..size]))
    }

    #[test]
    fn inclusion_proofs_round_trip_through_json_and_tampering_is_named() {
        let (events, mut leaves) = setup(13);
        let head = head_of(&events, &leaves, 13);
        let path = tree::inclusion_path(&mut leaves[..], 4, 13).unwrap();
        let p =
            InclusionProof { head, seq: 5, event_hash: events[4].hash, path, event: Some(Box::new(events[4].clone())) };
        let doc = serde_json::to_string(&Proof::Inclusion(p.clone())).unwrap();
        assert!(doc.contains("\"proof\":\"inclusion\""), "{doc}");
        let back: Proof = serde_json::from_str(&doc).unwrap();
        back.verify().unwrap();

        // A changed event field: its hash no longer recomputes.
        let mut edited = p.clone();
        edited.event.as_mut().unwrap().event.actor = "mallory".into();
        assert!(edited.verify().unwrap_err().to_string().contains("does not hash"));
        // A re-sealed changed event (an insider with the key): not in the tree.
        let mut resealed = p.clone();
        let mut e = events[4].event.clone();
        e.actor = "mallory".into();
        let s = super::super::seal(e, &Keypair::from_seed([3; 32])).unwrap();
        resealed.event_hash = s.hash;
        resealed.event = Some(Box::new(s));
        assert!(matches!(resealed.verify(), Err(ProofError::RootMismatch { .. })));
        // An old head without a root cannot be proven against.
        let mut old = p.clone();
        old.head.root = None;
        assert!(old.verify().unwrap_err().to_string().contains("no tree root"));
        // The head's own event must be its chain hash.
        let mut own = p;
        own.seq = 13;
        own.event = None;
        own.event_hash = events[11].hash;
        own.path = tree::inclusion_path(&mut leaves[..], 12, 13).unwrap();
        assert!(own.verify().unwrap_err().to_string().contains("chain hash"));
    }

    #[test]
    fn consistency_proofs_verify_and_a_rewritten_log_does_not() {
        let (events, mut leaves) = setup(21);
        let (h1, h2) = (head_of(&events, &leaves, 8), head_of(&events, &leaves, 21));
        let path = tree::consistency_path(&mut leaves[..], 8, 21).unwrap();
        let c = ConsistencyProof { first: h1, second: h2, path };
        c.verify().unwrap();
        // Rewrite event 3 and everything after it: every later head is
        // inconsistent with the one published at 8.
        let mut bad = leaves.clone();
        bad[2][0] ^= 1;
        for size in 9..=21 {
            let h2b = head_of(&events, &bad, size);
            let path = tree::consistency_path(&mut bad[..], 8, size as u64).unwrap();
            let c = ConsistencyProof { first: h1, second: h2b, path };
            assert!(c.verify().is_err(), "size {size}");
        }
    }
}
