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

/// An actor's row id. Actors are named by name on the command line, so the
/// id has no user-facing prefix; it is shown as `actor #3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActorId(pub i64);

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "actor #{}", self.0)
    }
}

/// The kinds of logged record: one catalog table each, and one custody
/// `subject_type` each. This is the one place that maps a kind to its table
/// and subject name and to the one-letter prefix users type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Actor,
    Evidence,
    File,
    Article,
    Claim,
    Link,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Actor,
        RecordKind::Evidence,
        RecordKind::File,
        RecordKind::Article,
        RecordKind::Claim,
        RecordKind::Link,
    ];

    /// The table name, which is also the custody event's `subject_type`.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Actor => "actor",
            RecordKind::Evidence => "evidence",
            RecordKind::File => "file",
            RecordKind::Article => "article",
            RecordKind::Claim => "claim",
            RecordKind::Link => "link",
        }
    }

    pub fn from_name(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The prefix of user-facing references (`E12`); actors have none.
    pub fn prefix(self) -> Option<char> {
        match self {
            RecordKind::Actor => None,
            RecordKind::Evidence => Some(EvidenceId::PREFIX),
            RecordKind::File => Some(FileId::PREFIX),
            RecordKind::Article => Some(ArticleId::PREFIX),
            RecordKind::Claim => Some(ClaimId::PREFIX),
            RecordKind::Link => Some(LinkId::PREFIX),
        }
    }

    /// The subject of row `id` of this kind.
    pub fn subject(self, id: i64) -> Subject {
        match self {
            RecordKind::Actor => Subject::Actor(ActorId(id)),
            RecordKind::Evidence => Subject::Evidence(EvidenceId(id)),
            RecordKind::File => Subject::File(FileId(id)),
            RecordKind::Article => Subject::Article(ArticleId(id)),
            RecordKind::Claim => Subject::Claim(ClaimId(id)),
            RecordKind::Link => Subject::Link(LinkId(id)),
        }
    }

    /// The user-facing reference of row `id` (`E12`, `F40`, `actor #3`).
    pub fn display_id(self, id: i64) -> String {
        self.subject(id).to_string()
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a custody event is about: the catalog as a whole, or one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Catalog,
    Actor(ActorId),
    Evidence(EvidenceId),
    File(FileId),
    Article(ArticleId),
    Claim(ClaimId),
    Link(LinkId),
}

impl Subject {
    /// `subject_type` of the encoding: `catalog` or the record kind's name.
    pub const CATALOG: &'static str = "catalog";

    pub fn kind(self) -> Option<RecordKind> {
        Some(match self {
            Subject::Catalog => return None,
            Subject::Actor(_) => RecordKind::Actor,
            Subject::Evidence(_) => RecordKind::Evidence,
            Subject::File(_) => RecordKind::File,
            Subject::Article(_) => RecordKind::Article,
            Subject::Claim(_) => RecordKind::Claim,
            Subject::Link(_) => RecordKind::Link,
        })
    }

    /// The row id, absent for the catalog.
    pub fn id(self) -> Option<i64> {
        match self {
            Subject::Catalog => None,
            Subject::Actor(i) => Some(i.0),
            Subject::Evidence(i) => Some(i.0),
            Subject::File(i) => Some(i.0),
            Subject::Article(i) => Some(i.0),
            Subject::Claim(i) => Some(i.0),
            Subject::Link(i) => Some(i.0),
        }
    }

    /// The `subject_type` field of a custody event.
    pub fn type_name(self) -> &'static str {
        self.kind().map_or(Subject::CATALOG, RecordKind::name)
    }

    /// `(subject_type, subject_id)` as encoded in a custody event.
    pub fn parts(self) -> (&'static str, Option<i64>) {
        (self.type_name(), self.id())
    }

    /// The subject an event's fields name, if they name a known one
    /// (verifiers accept any `subject_type`; this is how evcat reads it).
    pub fn from_parts(subject_type: &str, id: Option<i64>) -> Option<Subject> {
        match (subject_type, id) {
            (Subject::CATALOG, None) => Some(Subject::Catalog),
            (t, Some(id)) => RecordKind::from_name(t).map(|k| k.subject(id)),
            _ => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Catalog => f.write_str(Subject::CATALOG),
            Subject::Actor(i) => i.fmt(f),
            Subject::Evidence(i) => i.fmt(f),
            Subject::File(i) => i.fmt(f),
            Subject::Article(i) => i.fmt(f),
            Subject::Claim(i) => i.fmt(f),
            Subject::Link(i) => i.fmt(f),
        }
    }
}

impl FromStr for Subject {
    type Err = Error;
    /// A record reference as printed by `Display` (`E12`, `F40`, ...) or `catalog`.
    fn from_str(s: &str) -> Result<Self, Error> {
        if s == Subject::CATALOG {
            return Ok(Subject::Catalog);
        }
        match s.parse::<Ref>()? {
            Ref::Evidence(i) => Ok(Subject::Evidence(i)),
            Ref::File(i) => Ok(Subject::File(i)),
            Ref::Article(i) => Ok(Subject::Article(i)),
            Ref::Claim(i) => Ok(Subject::Claim(i)),
            Ref::Link(i) => Ok(Subject::Link(i)),
            Ref::Sha256Prefix(_) => Err(Error::invalid("record reference", s, "expected E12, F40, A3, C7 or L5")),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

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

impl Ref {
    /// The record this reference names by id; `None` for a hash prefix,
    /// which has to be looked up first.
    pub fn subject(&self) -> Option<Subject> {
        Some(match self {
            Ref::Evidence(i) => Subject::Evidence(*i),
            Ref::File(i) => Subject::File(*i),
            Ref::Article(i) => Subject::Article(*i),
            Ref::Claim(i) => Subject::Claim(*i),
            Ref::Link(i) => Subject::Link(*i),
            Ref::Sha256Prefix(_) => return None,
        })
    }
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
                Some(EvidenceId::PREFIX) => return t.parse().map(Ref::Evidence),
                Some(FileId::PREFIX) => return t.parse().map(Ref::File),
                Some(ArticleId::PREFIX) => return t.parse().map(Ref::Article),
                Some(ClaimId::PREFIX) => return t.parse().map(Ref::Claim),
                Some(LinkId::PREFIX) => return t.parse().map(Ref::Link),
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
