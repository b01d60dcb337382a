//! Time-stamps as custody events: what a `timestamped` event carries and
//! how audit and bag verification check one (the same function for both).
//!
//! Details of a `timestamped` event:
//! `{"kind": "rfc3161", "head": "SEQ:CHAIN:ROOT" | "sha256": HEX, "imprint": HEX,
//!   "tsa": URL, "gen_time": RFC3339, "token": HEX(DER)}` or
//! `{"kind": "opentimestamps", "head" | "sha256", "imprint", "status", "ots": HEX}`.
//! A head's imprint is its statement digest, a file's is its SHA-256.

use serde::Serialize;
use serde_json::{json, Value};

use super::{ots, verify_token, TokenProblemKind, TsaTrust};
use crate::custody::{Event, Head};

pub const KIND_RFC3161: &str = "rfc3161";
pub const KIND_OTS: &str = "opentimestamps";

/// What a time-stamp is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamped {
    Head(Head),
    /// A file's SHA-256.
    File([u8; 32]),
}

impl Stamped {
    /// The 32 bytes the TSA or the OpenTimestamps calendar stamps.
    pub fn imprint(&self) -> Option<[u8; 32]> {
        match self {
            Stamped::Head(h) => h.statement_digest(),
            Stamped::File(sha) => Some(*sha),
        }
    }

    fn details(&self) -> (&'static str, String) {
        match self {
            Stamped::Head(h) => ("head", h.to_string()),
            Stamped::File(sha) => ("sha256", hex::encode(sha)),
        }
    }
}

/// Details of a `timestamped` event for an RFC 3161 token.
pub fn rfc3161_details(what: &Stamped, tsa: &str, token: &[u8], gen_time: &str) -> Value {
    let (key, value) = what.details();
    json!({
        "kind": KIND_RFC3161,
        key: value,
        "imprint": what.imprint().map(hex::encode),
        "tsa": tsa,
        "gen_time": gen_time,
        "token": hex::encode(token),
    })
}

/// Details of a `timestamped` event for an OpenTimestamps proof.
pub fn ots_details(what: &Stamped, proof: &ots::OtsProof, bytes: &[u8]) -> Value {
    let (key, value) = what.details();
    json!({
        "kind": KIND_OTS,
        key: value,
        "imprint": what.imprint().map(hex::encode),
        "status": proof.status(),
        "ots": hex::encode(bytes),
    })
}

/// The outcome of checking one `timestamped` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StampCheck {
    /// The event carrying the time-stamp.
    pub seq: u64,
    pub kind: String,
    /// `head SEQ:…` or the file (`F7`, sha256 …).
    pub stamped: String,
    /// The attested time (RFC 3161), or the OpenTimestamps status.
    pub attested: Option<String>,
    /// The TSA's signing certificate (RFC 3161).
    pub signer: Option<String>,
    /// The TSA's chain was checked against a trust store.
    pub chain_checked: bool,
    /// Each problem, `kind: message`.
    pub problems: Vec<StampProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StampProblem {
    pub kind: StampProblemKind,
    pub message: String,
}

/// What is wrong with a time-stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampProblemKind {
    /// The event's details are not a time-stamp evcat can read.
    Malformed,
    /// It stamps a head this log does not have, or a file hash not the record's.
    NotThisLog,
    /// The token or proof attests another imprint.
    TokenForAnotherHead,
    /// The RFC 3161 token itself fails (signature, chain, validity).
    Token(TokenProblemKind),
}

impl std::fmt::Display for StampProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StampProblemKind::Malformed => f.write_str("malformed-timestamp"),
            StampProblemKind::NotThisLog => f.write_str("not-this-log"),
            StampProblemKind::TokenForAnotherHead => f.write_str("token-for-another-head"),
            StampProblemKind::Token(k) => k.fmt(f),
        }
    }
}

impl Serialize for StampProblemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Check one `timestamped` event. `known`: whether the stamped thing is
/// what this log (or bag) holds — `Err(why)` names what differs (a head
/// that is not a head of the log, a file whose hash is not the record's).
pub fn check_event(
    e: &Event,
    trust: Option<&TsaTrust>,
    known: impl Fn(&Stamped) -> Result<String, String>,
) -> StampCheck {
    let kind = e.detail_str("kind").unwrap_or("?").to_string();
    let mut c = StampCheck {
        seq: e.seq,
        kind: kind.clone(),
        stamped: String::new(),
        attested: None,
        signer: None,
        chain_checked: false,
        problems: Vec::new(),
    };
    let problem = |c: &mut StampCheck, kind: StampProblemKind, message: String| {
        c.problems.push(StampProblem { kind, message: format!("event #{}: {message}", e.seq) })
    };
    let stamped = match (e.detail_str("head"), e.detail_str("sha256")) {
        (Some(h), _) => h.parse::<Head>().map(Stamped::Head).map_err(|why| why.to_string()),
        (None, Some(s)) => {
            let mut sha = [0u8; 32];
            hex::decode_to_slice(s, &mut sha).map(|_| Stamped::File(sha)).map_err(|_| format!("bad sha256 {s:?}"))
        }
        _ => Err("names neither a head nor a file hash".into()),
    };
    let stamped = match stamped {
        Ok(s) => s,
        Err(why) => {
            problem(&mut c, StampProblemKind::Malformed, why);
            return c;
        }
    };
    match known(&stamped) {
        Ok(name) => c.stamped = name,
        Err(why) => {
            c.stamped = stamped.details().1;
            problem(&mut c, StampProblemKind::NotThisLog, why);
        }
    }
    let Some(imprint) = stamped.imprint() else {
        problem(&mut c, StampProblemKind::Malformed, "the stamped head has no tree root".into());
        return c;
    };
    let payload = |key: &str| e.detail_str(key).and_then(|h| hex::decode(h).ok()).unwrap_or_default();
    match kind.as_str() {
        KIND_RFC3161 => {
            let check = verify_token(&payload("token"), &imprint, trust);
            c.chain_checked = check.chain_checked;
            if let Some(info) = &check.info {
                c.attested = Some(info.gen_time.clone());
                c.signer = info.signer.clone();
            }
            for p in check.problems {
                let k = if p.kind == TokenProblemKind::ImprintMismatch {
                    StampProblemKind::TokenForAnotherHead
                } else {
                    StampProblemKind::Token(p.kind)
                };
                problem(&mut c, k, p.message);
            }
        }
        KIND_OTS => match ots::parse(&payload("ots")) {
            Ok(proof) => {
                if proof.digest_alg != "sha256" || proof.digest != hex::encode(imprint) {
                    problem(
                        &mut c,
                        StampProblemKind::TokenForAnotherHead,
                        format!(
                            "the .ots proof stamps {} {}, not {}",
                            proof.digest_alg,
                            proof.digest,
                            hex::encode(imprint)
                        ),
                    );
                }
                c.attested = Some(proof.status());
            }
            Err(why) => problem(&mut c, StampProblemKind::Malformed, format!("the .ots proof does not parse: {why}")),
        },
        other => problem(&mut c, StampProblemKind::Malformed, format!("unknown time-stamp kind {other:?}")),
    }
    c
}
