//! Trusted time for heads and files: RFC 3161 time-stamp tokens (requested
//! from a Time-Stamping Authority, verified offline) and OpenTimestamps
//! `.ots` proofs (parsed and reported; checking the Bitcoin block is left to
//! the user's node). Pure but for [`request_token`], the one network step.
//!
//! What is stamped: for a head, its statement digest
//! ([`crate::custody::Head::statement_digest`]); for a file, its SHA-256.

mod crypto;
mod http;
pub mod ots;
pub mod record;
mod token;

use std::fmt;
use std::path::Path;

use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

pub use token::{verify_token, TokenCheck, TokenInfo};

use crate::error::{Error, Result};

/// Why a token does not prove what it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenProblemKind {
    /// Not a time-stamp token.
    Malformed,
    /// The token attests another digest: a token for another head or file.
    ImprintMismatch,
    /// The signature, its signed attributes or its certificate binding fail.
    BadSignature,
    /// No certificate for the signer.
    SignerNotFound,
    /// The signer's certificate is not for time-stamping.
    NotForTimestamping,
    /// The signer's certificate does not chain to the trust store.
    Untrusted,
    /// A certificate of the chain is not valid at the attested time.
    Expired,
}

impl fmt::Display for TokenProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenProblemKind::Malformed => "malformed-token",
            TokenProblemKind::ImprintMismatch => "imprint-mismatch",
            TokenProblemKind::BadSignature => "bad-token-signature",
            TokenProblemKind::SignerNotFound => "tsa-signer-not-found",
            TokenProblemKind::NotForTimestamping => "not-a-tsa-certificate",
            TokenProblemKind::Untrusted => "untrusted-tsa",
            TokenProblemKind::Expired => "tsa-certificate-expired",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenProblem {
    pub kind: TokenProblemKind,
    pub message: String,
}

/// The certificates a user trusts to issue time-stamps (`--tsa-trust FILE`:
/// PEM certificates, one or more).
#[derive(Debug, Clone)]
pub struct TsaTrust {
    pub certs: Vec<Certificate>,
}

impl TsaTrust {
    pub fn load(path: &Path) -> Result<TsaTrust> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
        if meta.len() > 16 << 20 {
            return Err(Error::invalid("trust store", path.display().to_string(), "larger than 16 MB"));
        }
        let pem = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let certs = Certificate::load_pem_chain(&pem).map_err(|e| {
            Error::invalid("trust store", path.display().to_string(), format!("not PEM certificates: {e}"))
        })?;
        if certs.is_empty() {
            return Err(Error::invalid("trust store", path.display().to_string(), "holds no certificate"));
        }
        Ok(TsaTrust { certs })
    }
}

/// Ask the TSA at `url` (plain http) to time-stamp `imprint` (a SHA-256);
/// returns the DER token once it is known to be a signed token for exactly
/// this imprint and nonce (its chain is checked later, against the user's
/// trust store).
pub fn request_token(url: &str, imprint: &[u8; 32]) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Tsa { url: url.to_string(), reason };
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| fail(format!("no randomness for the nonce: {e}")))?;
    nonce[0] &= 0x7f;
    nonce[0] |= 0x01; // positive, and no leading zero byte to strip
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned { oid: crypto::SHA256, parameters: Some(der::Any::null()) },
            hashed_message: OctetString::new(imprint.to_vec()).map_err(|e| fail(e.to_string()))?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).map_err(|e| fail(e.to_string()))?),
        cert_req: true,
        extensions: None,
    };
    let body = req.to_der().map_err(|e| fail(e.to_string()))?;
    let raw = http::post(url, "application/timestamp-query", "application/timestamp-reply", &body).map_err(fail)?;
    token_from_response(&raw, imprint, &nonce).map_err(fail)
}

/// The token of a `TimeStampResp`, checked against the request.
fn token_from_response(raw: &[u8], imprint: &[u8; 32], nonce: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use cmpv2::status::PkiStatus;
    let resp = TimeStampResp::from_der(raw).map_err(|e| format!("not a time-stamp response: {e}"))?;
    if !matches!(resp.status.status, PkiStatus::Accepted | PkiStatus::GrantedWithMods) {
        return Err(format!("the TSA refused the request (status {:?})", resp.status.status));
    }
    let token = resp.time_stamp_token.ok_or("the response holds no token")?.to_der().map_err(|e| e.to_string())?;
    let check = verify_token(&token, imprint, None);
    if let Some(p) = check.problems.first() {
        return Err(format!("the TSA's token does not verify: {}", p.message));
    }
    let got = check.info.as_ref().and_then(|i| i.nonce.clone());
    if got.as_deref() != Some(hex::encode(nonce).as_str()) {
        return Err("the token does not carry the request's nonce (a replayed or foreign token)".into());
    }
    Ok(token)
}
