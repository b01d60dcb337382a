//! Time-stamps of heads and files, stored as `timestamped` custody events
//! (the model and its checks are [`crate::timestamp`]).

use serde::Serialize;

use super::{log, tree, Catalog};
use crate::custody::{Action, Head};
use crate::error::{Error, Result};
use crate::ids::{Ref, Subject};
use crate::timestamp::record::{self, StampCheck, Stamped};
use crate::timestamp::{ots, request_token, verify_token, TsaTrust};

/// A time-stamp just recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Stamp {
    /// The `timestamped` event.
    pub seq: u64,
    pub stamped: String,
    /// The imprint stamped (hex).
    pub imprint: String,
    pub kind: &'static str,
    /// Attested time (RFC 3161) or OpenTimestamps status.
    pub attested: String,
    pub signer: Option<String>,
}

impl Catalog {
    /// What `r` (a head, or a file reference) stamps, and the subject of the event.
    fn stamped(&self, target: &StampTarget) -> Result<(Stamped, Subject, String)> {
        match target {
            StampTarget::Head(h) => {
                let head = tree::resolve_head(self, h.as_ref())?;
                Ok((Stamped::Head(head), Subject::Catalog, format!("head {head}")))
            }
            StampTarget::File(r) => {
                let subject = self.resolve_subject(r)?;
                let Subject::File(id) = subject else {
                    return Err(Error::invalid("file", subject.to_string(), "time-stamps are for files (F7) or heads"));
                };
                let f = self.file(id)?;
                Ok((Stamped::File(f.sha256.0), subject, format!("{id} (sha256 {})", f.sha256)))
            }
        }
    }

    /// Ask the TSA at `url` to time-stamp `target`; the token is stored as a
    /// `timestamped` event.
    pub fn timestamp_rfc3161(&mut self, target: &StampTarget, url: &str) -> Result<Stamp> {
        let (what, subject, name) = self.stamped(target)?;
        let imprint = what.imprint().ok_or_else(|| Error::Corrupt("a head without a root".into()))?;
        let token = request_token(url, &imprint)?;
        let info = verify_token(&token, &imprint, None)
            .info
            .ok_or_else(|| Error::Tsa { url: url.into(), reason: "the token cannot be read back".into() })?;
        let details = record::rfc3161_details(&what, url, &token, &info.gen_time);
        let seq = self.write(|w| w.append(subject, Action::Timestamped, None, details))?;
        Ok(Stamp {
            seq,
            stamped: name,
            imprint: hex::encode(imprint),
            kind: record::KIND_RFC3161,
            attested: info.gen_time,
            signer: info.signer,
        })
    }

    /// Store an OpenTimestamps proof of `target` (it must stamp exactly the
    /// target's imprint).
    pub fn attach_ots(&mut self, target: &StampTarget, bytes: &[u8]) -> Result<Stamp> {
        let (what, subject, name) = self.stamped(target)?;
        let imprint = what.imprint().ok_or_else(|| Error::Corrupt("a head without a root".into()))?;
        let proof = ots::parse(bytes).map_err(|why| Error::invalid("OpenTimestamps proof", name.clone(), why))?;
        if proof.digest_alg != "sha256" || proof.digest != hex::encode(imprint) {
            return Err(Error::invalid(
                "OpenTimestamps proof",
                name,
                format!(
                    "it stamps {} {}, not the imprint {} (for a head, stamp the file `evcat log --statement` writes)",
                    proof.digest_alg,
                    proof.digest,
                    hex::encode(imprint)
                ),
            ));
        }
        let details = record::ots_details(&what, &proof, bytes);
        let seq = self.write(|w| w.append(subject, Action::Timestamped, None, details))?;
        Ok(Stamp {
            seq,
            stamped: name,
            imprint: hex::encode(imprint),
            kind: record::KIND_OTS,
            attested: proof.status(),
            signer: None,
        })
    }

    /// Check every time-stamp in the log: each must stamp a head of this
    /// log or a file's recorded SHA-256, and verify (chains against `trust`).
    pub fn check_timestamps(&self, trust: Option<&TsaTrust>) -> Result<Vec<StampCheck>> {
        let events = log::events_with_action(self, &Action::Timestamped)?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let subject = e.event.subject();
            let known = |s: &Stamped| -> std::result::Result<String, String> {
                match (s, subject) {
                    (Stamped::Head(h), _) => match tree::head_at(self, h.seq) {
                        Ok(Some(ours)) if ours.agrees_with(h) && h.root.is_some() => Ok(format!("head {h}")),
                        Ok(Some(ours)) => Err(format!("head {h} is not a head of this log (it has {ours})")),
                        Ok(None) => Err(format!("head {h} is beyond the end of this log")),
                        Err(e) => Err(e.to_string()),
                    },
                    (Stamped::File(sha), Some(Subject::File(id))) => match self.file(id) {
                        Ok(f) if &f.sha256.0 == sha => Ok(format!("{id} (sha256 {})", f.sha256)),
                        Ok(f) => Err(format!("it stamps sha256 {}, but {id} is {}", hex::encode(sha), f.sha256)),
                        Err(e) => Err(e.to_string()),
                    },
                    (Stamped::File(_), _) => Err("a file time-stamp on something other than a file".into()),
                }
            };
            out.push(record::check_event(&e.event, trust, known));
        }
        Ok(out)
    }

    /// The statement bytes of a head: what `ots stamp` or `openssl ts -query
    /// -data` hash to the imprint (`evcat log --statement`).
    pub fn head_statement(&self, head: Option<&Head>) -> Result<(Head, Vec<u8>)> {
        let head = tree::resolve_head(self, head)?;
        let root = head.root.ok_or_else(|| Error::Corrupt("a head without a root".into()))?;
        let mut bytes = crate::custody::head::HEAD_MAGIC.to_vec();
        bytes.push(crate::custody::head::HEAD_VERSION);
        bytes.extend_from_slice(&head.seq.to_be_bytes());
        bytes.extend_from_slice(&head.hash);
        bytes.extend_from_slice(&root);
        Ok((head, bytes))
    }
}

/// What to time-stamp.
#[derive(Debug, Clone)]
pub enum StampTarget {
    /// A head of this log (`None`: the current head).
    Head(Option<Head>),
    File(Ref),
}
