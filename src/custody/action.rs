//! What an event records having happened.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// The `action` of a custody event. evcat writes the known actions;
        /// any other string (a newer evcat's, another tool's) is kept as
        /// [`Action::Other`], because verifiers must accept any action.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $variant,)*
            /// An action this evcat does not know, kept verbatim.
            Other(String),
        }

        impl Action {
            /// Every action this evcat writes.
            pub const KNOWN: &'static [Action] = &[$(Action::$variant,)*];

            /// The action as encoded in the event.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Action::$variant => $text,)*
                    Action::Other(s) => s,
                }
            }
        }

        impl From<&str> for Action {
            fn from(s: &str) -> Action {
                match s {
                    $($text => Action::$variant,)*
                    other => Action::Other(other.to_string()),
                }
            }
        }
    };
}

actions! {
    /// The catalog was created (event 1, subject `catalog`).
    Created => "created",
    /// An actor and its public key were added.
    ActorAdded => "actor-added",
    /// An evidence item or a file was registered.
    Registered => "registered",
    /// Referenced evidence got its first bytes.
    Acquired => "acquired",
    /// Fields of a record were changed.
    Edited => "edited",
    /// An article was imported, or records came in from a bag or a spreadsheet.
    Imported => "imported",
    /// A claim was marked in an article (or detected).
    Marked => "marked",
    /// A claim was linked to evidence.
    Linked => "linked",
    /// A link was removed.
    Unlinked => "unlinked",
    /// A claim was confirmed.
    Confirmed => "confirmed",
    /// A claim was rejected.
    Rejected => "rejected",
    /// A record (and the bytes behind it) was handed to someone.
    Transferred => "transferred",
    /// A free-text note on a record's timeline.
    Note => "note",
    /// A clean audit.
    Verified => "verified",
    /// An export (bag, PROV, ClaimReview, CSV, report).
    Exported => "exported",
    /// A file was confirmed to derive from another.
    Derived => "derived",
    /// Fingerprints, derived objects and matches of a batch of files.
    MediaAnalyzed => "media-analyzed",
    /// A head or a file got a trusted time-stamp (RFC 3161 token or OpenTimestamps proof).
    Timestamped => "timestamped",
    /// An actor's key was replaced by a new one, signed over by the old key.
    KeyRotated => "key-rotated",
    /// An actor's key was revoked from a position of the log on, by another actor.
    KeyRevoked => "key-revoked",
    /// A second actor co-signed a head.
    Witnessed => "witnessed",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Action::from(s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_actions_round_trip_and_others_are_kept() {
        for a in Action::KNOWN {
            assert_eq!(&Action::from(a.as_str()), a);
        }
        assert_eq!(Action::from("key-rotated"), Action::KeyRotated);
        assert_eq!(Action::from("a-newer-action"), Action::Other("a-newer-action".into()));
        assert_eq!(Action::from("a-newer-action").as_str(), "a-newer-action");
        assert_eq!(Action::MediaAnalyzed.to_string(), "media-analyzed");
    }
}
