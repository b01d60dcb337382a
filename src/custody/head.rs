//! Published log heads (checkpoints).

use std::fmt;
use std::str::FromStr;

/// A published log head, `SEQ:HEX`, e.g. `42:9f86d0...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Head {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl Head {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
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
        write!(f, "{}:{}", self.seq, hex::encode(self.hash))
    }
}

impl FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Head, String> {
        let (seq, hash) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not a head; expected SEQ:HASH as printed by `evcat log --head`"))?;
        let seq: u64 = seq.parse().map_err(|_| format!("{seq:?} is not a sequence number (in head {s:?})"))?;
        let mut h = [0u8; 32];
        hex::decode_to_slice(hash, &mut h).map_err(|_| format!("the hash in head {s:?} is not 64 hex characters"))?;
        Ok(Head { seq, hash: h })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parses_and_prints() {
        let h: Head = format!("42:{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(h.seq, 42);
        assert_eq!(h.to_string().parse::<Head>().unwrap(), h);
        assert!("42".parse::<Head>().is_err());
        assert!("x:00".parse::<Head>().is_err());
        assert!("1:abcd".parse::<Head>().is_err());
    }
}
