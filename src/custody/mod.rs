//! The custody log as a model: events, their canonical encoding, the hash
//! chain, ed25519 keys, chain verification, and what events mean for rows
//! (row changes and their one replay).
//!
//! This module knows nothing about SQLite; `catalog::log` stores what it
//! produces. The byte format is specified in ARCHITECTURE.md ("Custody
//! encoding, version 1") precisely enough for an independent verifier; any
//! change here must bump [`ENCODING_VERSION`] and keep verifying old events.
//!
//! ```text
//! encoding = "evcat-event" 0x01 seq subject_type subject_id action actor at
//!            host location reason details prev_hash
//! hash     = SHA-256(encoding)
//! sig      = Ed25519(actor key, hash)
//! ```
//!
//! Layout: [`canonical`] (canonical JSON), [`encoding`] (bytes and hash),
//! [`keys`], [`head`] (checkpoints), [`verify`] + `batch` (chain and
//! signature verification), [`action`], [`change`] (the row changes events
//! carry) and [`replay`] (the one function that turns a log into rows).

pub mod action;
pub mod authority;
mod batch;
pub mod canonical;
pub mod change;
pub mod encoding;
pub mod head;
pub mod keys;
pub mod proof;
pub mod replay;
pub mod tree;
pub mod verify;

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use action::Action;
pub use canonical::canonical_json;
pub use change::{FieldChange, Row, RowChange};
pub use encoding::{decode, encode, event_hash};
pub use head::Head;
pub use keys::{key_id_of, verify_signature, Keypair};
pub use proof::{ConsistencyProof, InclusionProof, Proof};
pub use replay::{replay, Replay, ReplayProblem, ReplayProblemKind, RowCheck, RowState};
pub use verify::{verify_chain, ChainProblem, ChainReport, ChainVerifier, ProblemKind, SIG_BATCH};

use crate::ids::Subject;

/// Version byte written after the magic; bump on any change to the encoding.
pub const ENCODING_VERSION: u8 = 1;
/// Magic prefix of every encoded event.
pub const MAGIC: &[u8; 11] = b"evcat-event";
/// `prev_hash` of the first event: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0u8; 32];
/// Upper bound on one encoded event (details included); larger input is refused.
pub const MAX_ENCODED_LEN: usize = 16 << 20;

/// Failures of encoding, decoding, keys and signing.
#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    /// Event details cannot be encoded canonically (e.g. a float).
    #[error("event details cannot be encoded canonically: {0}")]
    Canonical(String),
    /// Bytes are not a valid encoded event.
    #[error("invalid encoded custody event at byte {offset}: {reason}")]
    Decode { offset: usize, reason: String },
    /// A key file could not be read or written.
    #[error("cannot {op} key file {}: {source}", path.display())]
    KeyIo {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A key file exists but is unusable.
    #[error("key file {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
    /// The operating system's random source failed.
    #[error("cannot generate a key: the system random source failed: {0}")]
    Random(String),
}

type Result<T> = std::result::Result<T, CustodyError>;

/// One custody event, before sealing. Field order is the encoding order.
///
/// The text fields hold exactly what is encoded, so any event verifies
/// whatever its subject type or action; [`Event::subject`] and
/// [`Event::action`] read them as evcat's typed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub action: String,
    pub actor: String,
    /// RFC 3339 UTC timestamp with microsecond precision, as text.
    pub at: String,
    pub host: String,
    pub location: Option<String>,
    pub reason: Option<String>,
    /// Free-form JSON (no floats); encoded as canonical JSON text.
    pub details: Value,
    #[serde(with = "hex_array")]
    pub prev_hash: [u8; 32],
}

impl Event {
    /// The subject, if the event names one this evcat knows.
    pub fn subject(&self) -> Option<Subject> {
        Subject::from_parts(&self.subject_type, self.subject_id)
    }

    pub fn action(&self) -> Action {
        Action::from(self.action.as_str())
    }

    /// A detail that is a string (e.g. `catalog_id`, `kind`).
    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.details.get(key).and_then(Value::as_str)
    }
}

/// An event with its chain hash and the actor's signature over that hash:
/// the one shape of a stored event. It serialises flat, as `evcat log
/// --json` prints it and bags carry it in `events.jsonl`:
/// `{seq, subject_type, subject_id, action, actor, at, host, location,
/// reason, details, prev_hash, hash, key_id, signature}` with the hashes and
/// the signature as lowercase hex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedEvent {
    #[serde(flatten)]
    pub event: Event,
    #[serde(with = "hex_array")]
    pub hash: [u8; 32],
    /// [`Keypair::key_id`] of the signing key.
    pub key_id: String,
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl SealedEvent {
    pub fn seq(&self) -> u64 {
        self.event.seq
    }

    /// The head of a log that ends with this event.
    pub fn head(&self) -> Head {
        Head::chain(self.event.seq, self.hash)
    }

    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// Encode, hash and sign `event`.
pub fn seal(event: Event, key: &Keypair) -> Result<SealedEvent> {
    let hash = event_hash(&event)?;
    let signature = key.sign(&hash);
    Ok(SealedEvent { event, hash, key_id: key.key_id(), signature })
}

/// Fixed-size byte arrays as lowercase hex strings (serde).
pub(crate) mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; N];
        hex::decode_to_slice(s.as_bytes(), &mut out)
            .map_err(|_| serde::de::Error::custom(format!("expected {} hex digits, found {:?}", 2 * N, s)))?;
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    pub fn event(seq: u64, prev: [u8; 32]) -> Event {
        Event {
            seq,
            subject_type: "evidence".into(),
            subject_id: Some(12),
            action: "edited".into(),
            actor: "alice".into(),
            at: "2026-03-14T05:06:07.089Z".into(),
            host: "desk-1".into(),
            location: None,
            reason: Some("fix URL".into()),
            details: json!({"changes": {"url": {"before": "a", "after": "b"}}}),
            prev_hash: prev,
        }
    }

    pub fn chain(key: &Keypair, n: u64) -> Vec<SealedEvent> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|i| {
                let s = seal(event(i, prev), key).expect("seal");
                prev = s.hash;
                s
            })
            .collect()
    }

    pub fn keys_of(k: &Keypair) -> HashMap<String, String> {
        HashMap::from([(k.key_id(), k.public_hex())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The first event of ARCHITECTURE.md's worked example (both known vectors start from it).
    fn worked_example() -> Event {
        Event {
            seq: 1,
            subject_type: "catalog".into(),
            subject_id: None,
            action: "created".into(),
            actor: "alice".into(),
            at: "2026-03-14T05:06:07.089Z".into(),
            host: "desk-1".into(),
            location: Some("newsroom".into()),
            reason: None,
            details: json!({"catalog_id": "c1", "version": 1}),
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn known_vector() {
        // The worked example in ARCHITECTURE.md; changing it breaks every catalog.
        let key = Keypair::from_seed([7u8; 32]);
        let e = worked_example();
        let bytes = encode(&e).unwrap();
        assert_eq!(&bytes[..12], b"evcat-event\x01");
        let s = seal(e, &key).unwrap();
        // Values computed by tools/verify_chain.py --example, an independent
        // implementation of the spec (Python stdlib + RFC 8032 reference code).
        assert_eq!(key.public_hex(), "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c");
        assert_eq!(key.key_id(), "fe812c12f3ab4ce6");
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "65766361742d6576656e7401000000000000000100000007636174616c6f6700000000076372656174656400",
                "000005616c69636500000018323032362d30332d31345430353a30363a30372e3038395a000000066465736b",
                "2d3101000000086e657773726f6f6d000000001f7b22636174616c6f675f6964223a226331222c2276657273",
                "696f6e223a317d0000000000000000000000000000000000000000000000000000000000000000"
            )
        );
        assert_eq!(hex::encode(s.hash), "96d50b73ed0933e95cbc29a56af8b140c6dacd173d3111d5786360e2e7d26ddc");
        assert_eq!(
            hex::encode(s.signature),
            concat!(
                "1ae4d6813de6ced7573cb365c8f7cf4bda900bae4d9246e485be431b28933b48",
                "3274d086946efb6eed161ea33cf771a01589bfde7b995038a87141a52570e60b"
            )
        );
        assert!(verify_signature(&key.public_hex(), &s.hash, &s.signature));
    }
    #[test]
    fn tree_known_vector() {
        // The worked example of the tree in ARCHITECTURE.md ("Merkle tree"):
        // three events, the first being the worked example above, the other
        // two standing for any 32-byte hashes. `tools/verify_chain.py
        // --example` computes the same values independently.
        use super::tree::{consistency_path, inclusion_path, leaf_hash, root_of, verify_consistency};
        let e1 = seal(worked_example(), &Keypair::from_seed([7u8; 32])).unwrap().hash;
        let mut leaves: Vec<[u8; 32]> = [e1, [2u8; 32], [3u8; 32]].iter().map(|h| leaf_hash(h)).collect();
        let hx = |v: &[[u8; 32]]| v.iter().map(hex::encode).collect::<Vec<_>>();
        assert_eq!(
            hx(&leaves),
            [
                "6fa723f6eb1ece3b375445553c866765eb9747c11cd9b139b919617463bcf30c",
                "cba8c596120bdb69debbd923d92cba948bde7c7d06a465a1bb7d98d3116038fa",
                "acaa04663a8547a2f70c60cc18f9378796b13c4f9a08f70d6adae662365b30c6",
            ]
        );
        assert_eq!(
            hex::encode(root_of(&leaves[..2])),
            "2f9915345b0d48ba873e0d9bfb240c48dd2702903c204acd74146e14998681b3"
        );
        let root = root_of(&leaves);
        assert_eq!(hex::encode(root), "2fd5f138a1bb2210af87cd338fc7cc53a381cffdfb26b04a4c9cb31b366623eb");
        assert_eq!(
            hx(&inclusion_path(&mut leaves[..], 1, 3).unwrap()),
            [hx(&leaves)[0].clone(), hx(&leaves)[2].clone()]
        );
        let c = consistency_path(&mut leaves[..], 2, 3).unwrap();
        assert_eq!(hx(&c), [hx(&leaves)[2].clone()]);
        verify_consistency(2, 3, &root_of(&leaves[..2]), &root, &c).unwrap();
        let head = Head { seq: 3, hash: [3u8; 32], root: Some(root) };
        assert_eq!(
            hex::encode(head.statement_digest().unwrap()),
            "18f268e4ff2b751a37e0f71758c9756798f4953900d35b68d36f3ecac2def508"
        );
    }

    #[test]
    fn sealed_events_serialise_flat_and_back() {
        let key = Keypair::from_seed([9u8; 32]);
        let s = testutil::chain(&key, 2).pop().unwrap();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["seq"], 2);
        assert_eq!(v["subject_type"], "evidence");
        assert_eq!(v["hash"], hex::encode(s.hash));
        assert_eq!(v["prev_hash"].as_str().map(str::len), Some(64));
        assert_eq!(v["signature"].as_str().map(str::len), Some(128));
        assert_eq!(v.as_object().unwrap().len(), 14);
        let back: SealedEvent = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, s);
        let mut bad = v;
        bad["hash"] = json!("abcd");
        assert!(serde_json::from_value::<SealedEvent>(bad).unwrap_err().to_string().contains("64 hex digits"));
    }
}
