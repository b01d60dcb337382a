//! Published log heads (checkpoints): `SEQ:CHAIN_HASH:TREE_ROOT`.
//!
//! The chain hash is the hash of event `SEQ`, which commits to every event
//! before it through `prev_hash`; the tree root is the RFC 9162 Merkle tree
//! hash of the events `1..=SEQ` ([`super::tree`]), which lets a receiver
//! check one event against the head with a logarithmic proof. Heads written
//! before the tree existed, `SEQ:HASH`, are still accepted everywhere: they
//! are checked against the chain only.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Prefix of the head statement that timestamps and witnesses sign.
pub const HEAD_MAGIC: &[u8; 10] = b"evcat-head";
/// Version byte of the head statement.
pub const HEAD_VERSION: u8 = 1;

/// A published log head, `SEQ:HEX` or `SEQ:HEX:ROOT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Head {
    pub seq: u64,
    /// Chain hash of event `seq`.
    pub hash: [u8; 32],
    /// Merkle tree root of events `1..=seq`; `None` in an old `SEQ:HASH` head.
    pub root: Option<[u8; 32]>,
}

impl Head {
    /// A head without a tree root (the chain's view).
    pub fn chain(seq: u64, hash: [u8; 32]) -> Head {
        Head { seq, hash, root: None }
    }

    pub fn with_root(self, root: [u8; 32]) -> Head {
        Head { root: Some(root), ..self }
    }

    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// The 32 bytes a timestamp authority or a witness signs for this head:
    /// `SHA-256("evcat-head" || 0x01 || seq (8 bytes, big-endian) || chain
    /// hash || tree root)`. `None` for an old head without a root.
    pub fn statement_digest(&self) -> Option<[u8; 32]> {
        let root = self.root?;
        let mut h = Sha256::new();
        h.update(HEAD_MAGIC);
        h.update([HEAD_VERSION]);
        h.update(self.seq.to_be_bytes());
        h.update(self.hash);
        h.update(root);
        Some(h.finalize().into())
    }

    /// Does `other` name the same point of the same log? Sequence and chain
    /// hash must be equal; roots too where both heads have one.
    pub fn agrees_with(&self, other: &Head) -> bool {
        self.seq == other.seq
            && self.hash == other.hash
            && match (self.root, other.root) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl serde::Serialize for Head {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, hex::encode(self.hash))?;
        if let Some(root) = self.root {
            write!(f, ":{}", hex::encode(root))?;
        }
        Ok(())
    }
}

impl FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Head, String> {
        let t = s.trim();
        let mut parts = t.split(':');
        let (Some(seq), Some(hash)) = (parts.next(), parts.next()) else {
            return Err(format!(
                "{s:?} is not a head; expected SEQ:CHAIN_HASH:TREE_ROOT (or an older SEQ:HASH) as printed by `evcat log --head`"
            ));
        };
        let root = parts.next();
        if parts.next().is_some() {
            return Err(format!("{s:?} is not a head: more than three `:`-separated parts"));
        }
        let seq: u64 = seq.parse().map_err(|_| format!("{seq:?} is not a sequence number (in head {s:?})"))?;
        let mut h = [0u8; 32];
        hex::decode_to_slice(hash, &mut h).map_err(|_| format!("the hash in head {s:?} is not 64 hex characters"))?;
        let root = match root {
            None => None,
            Some(r) => {
                let mut out = [0u8; 32];
                hex::decode_to_slice(r, &mut out)
                    .map_err(|_| format!("the tree root in head {s:?} is not 64 hex characters"))?;
                Some(out)
            }
        };
        Ok(Head { seq, hash: h, root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parses_and_prints() {
        let h: Head = format!("42:{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!((h.seq, h.root), (42, None));
        assert_eq!(h.to_string().parse::<Head>().unwrap(), h);
        let t: Head = format!("42:{}:{}", "ab".repeat(32), "cd".repeat(32)).parse().unwrap();
        assert_eq!(t.root, Some([0xcd; 32]));
        assert_eq!(t.to_string().parse::<Head>().unwrap(), t);
        assert!(t.agrees_with(&h) && h.agrees_with(&t));
        assert!(!t.agrees_with(&t.with_root([0; 32])));
        assert!("42".parse::<Head>().is_err());
        assert!("x:00".parse::<Head>().is_err());
        assert!("1:abcd".parse::<Head>().is_err());
        assert!(format!("1:{}:zz", "ab".repeat(32)).parse::<Head>().unwrap_err().contains("tree root"));
        assert!(format!("1:{0}:{0}:{0}", "ab".repeat(32)).parse::<Head>().is_err());
    }

    #[test]
    fn statement_digest_is_pinned() {
        // ARCHITECTURE.md "Heads"; tools/verify_chain.py --example prints it too.
        let h = Head { seq: 1, hash: [0x11; 32], root: Some([0x22; 32]) };
        assert_eq!(
            hex::encode(h.statement_digest().unwrap()),
            hex::encode(Sha256::digest(
                [&b"evcat-head\x01"[..], &1u64.to_be_bytes(), &[0x11; 32], &[0x22; 32]].concat()
            ))
        );
        assert_eq!(Head::chain(1, [0x11; 32]).statement_digest(), None);
    }
}
