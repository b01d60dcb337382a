//! Typed record ids and the short references users type (`E12`, `F40`, `A3`, `C7`, `L5`).
//!
//! Newtypes stop an evidence id being passed where a file id is expected; the
//! one-letter prefix makes references unambiguous on the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! typed_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            pub const PREFIX: char = $prefix;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let t = s.trim();
                let digits =
                    t.strip_prefix($prefix).or_else(|| t.strip_prefix($prefix.to_ascii_lowercase())).unwrap_or(t);
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 => Ok($name(n)),
                    _ => Err(Error::invalid($what, s, format!("expected {}<number>, e.g. {}12", $prefix, $prefix))),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_id!(EvidenceId, 'E', "evidence id");
typed_id!(FileId, 'F', "file id");
typed_id!(ArticleId, 'A', "article id");
typed_id!(ClaimId, 'C', "claim id");
typed_id!(LinkId, 'L', "link id");

/// Anything a user can name on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Evidence(EvidenceId),
    File(FileId),
    Article(ArticleId),
    Claim(ClaimId),
    Link(LinkId),
    /// A (possibly partial) SHA-256 of a file, lowercase hex, at least 4 digits.
    Sha256Prefix(String),
}

impl FromStr for Ref {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let mut chars = t.chars();
        let first = chars.next().map(|c| c.to_ascii_uppercase());
        let rest = chars.as_str();
        let numeric = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
        if numeric {
            match first {
                Some('E') => return t.parse().map(Ref::Evidence),
                Some('F') => return t.parse().map(Ref::File),
                Some('A') => return t.parse().map(Ref::Article),
                Some('C') => return t.parse().map(Ref::Claim),
                Some('L') => return t.parse().map(Ref::Link),
                _ => {}
            }
        }
        if t.len() >= 4 && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Ref::Sha256Prefix(t.to_ascii_lowercase()));
        }
        Err(Error::invalid(
            "reference",
            s,
            "expected E12, F40, A3, C7, L5 or a SHA-256 prefix of at least 4 hex digits",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        assert_eq!("E12".parse::<EvidenceId>().unwrap(), EvidenceId(12));
        assert_eq!("e12".parse::<EvidenceId>().unwrap(), EvidenceId(12));
        assert_eq!("12".parse::<EvidenceId>().unwrap(), EvidenceId(12));
        assert_eq!(FileId(40).to_string(), "F40");
        assert!("E0".parse::<EvidenceId>().is_err());
        assert!("F12".parse::<EvidenceId>().is_err());
        assert!("Ex".parse::<EvidenceId>().is_err());
    }

    #[test]
    fn refs() {
        assert_eq!("C7".parse::<Ref>().unwrap(), Ref::Claim(ClaimId(7)));
        assert_eq!("l5".parse::<Ref>().unwrap(), Ref::Link(LinkId(5)));
        assert_eq!("ABCD12".parse::<Ref>().unwrap(), Ref::Sha256Prefix("abcd12".into()));
        // "E123" is an evidence id, not a hash prefix; "e3b0" is hex.
        assert_eq!("E123".parse::<Ref>().unwrap(), Ref::Evidence(EvidenceId(123)));
        assert_eq!("e3b0".parse::<Ref>().unwrap(), Ref::Sha256Prefix("e3b0".into()));
        assert!("abc".parse::<Ref>().is_err());
        assert!("zzzz".parse::<Ref>().is_err());
    }
}
