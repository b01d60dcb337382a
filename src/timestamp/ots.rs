//! A bounded parser of OpenTimestamps proofs (`.ots`, "detached timestamp
//! file" format, major version 1), written from python-opentimestamps'
//! serialisation: a magic header, the file's digest, then a tree of
//! operations (hash, append, prepend, ...) leading to attestations
//! (pending at a calendar, or in Bitcoin block N).
//!
//! evcat stores the proof and reports what it claims; confirming that block
//! N's Merkle root is the computed commitment is left to the user's node
//! (`ots verify`). Limits as in the reference implementation (messages of at
//! most 4096 bytes, depth 256) plus a cap on input size and attestations, so
//! hostile input can neither panic, loop, nor allocate without bound.

use serde::Serialize;
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94";
const MAX_INPUT: usize = 1 << 20;
const MAX_MSG: usize = 4096;
const MAX_DEPTH: usize = 256;
const MAX_ATTESTATIONS: usize = 1024;
const MAX_PAYLOAD: usize = 8192;
const PENDING: [u8; 8] = [0x83, 0xdf, 0xe3, 0x0d, 0x2e, 0xf9, 0x0c, 0x8e];
const BITCOIN: [u8; 8] = [0x05, 0x88, 0x96, 0x0d, 0x73, 0xd7, 0x19, 0x01];
const LITECOIN: [u8; 8] = [0x06, 0x86, 0x9a, 0x0d, 0x73, 0xd7, 0x1b, 0x45];

/// One attestation found in the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attestation {
    /// `pending`, `bitcoin`, `litecoin` or `unknown`.
    pub kind: String,
    /// Block height (bitcoin, litecoin).
    pub height: Option<u64>,
    /// Calendar URL (pending).
    pub uri: Option<String>,
    /// The message the operations lead to at this attestation (for a block:
    /// the Merkle root its header must hold), when every operation on the
    /// way could be computed here (RIPEMD-160 and Keccak are not).
    pub commitment: Option<String>,
    /// Unknown attestations: the 8-byte tag.
    pub tag: Option<String>,
}

/// What an `.ots` proof says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtsProof {
    /// The hash of the stamped file: `sha256`, `sha1`, `ripemd160`, `keccak256`.
    pub digest_alg: String,
    pub digest: String,
    pub attestations: Vec<Attestation>,
}

impl OtsProof {
    /// `attested in bitcoin block N` (the lowest), else `pending`.
    pub fn status(&self) -> String {
        let block = self.attestations.iter().filter(|a| a.kind == "bitcoin").filter_map(|a| a.height).min();
        match block {
            Some(h) => format!("attested in bitcoin block {h}"),
            None if self.attestations.iter().any(|a| a.kind == "pending") => "pending".into(),
            None => "no known attestation".into(),
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    attestations: Vec<Attestation>,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn fail<T>(&self, why: impl Into<String>) -> R<T> {
        Err(format!("byte {}: {}", self.pos, why.into()))
    }

    fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(b) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(b)
            }
            _ => self.fail(format!("truncated: {n} more bytes expected")),
        }
    }

    fn byte(&mut self) -> R<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn varuint(&mut self) -> R<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.fail("varuint longer than 64 bits")
    }

    fn varbytes(&mut self, max: usize) -> R<&'a [u8]> {
        let n = self.varuint()?;
        if n > max as u64 {
            return self.fail(format!("{n} bytes, more than the {max}-byte limit"));
        }
        self.bytes(n as usize)
    }

    /// One timestamp (operations and attestations) on `msg`.
    fn timestamp(&mut self, msg: Option<Vec<u8>>, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return self.fail("operations nested deeper than 256");
        }
        let mut tag = self.byte()?;
        while tag == 0xff {
            let t = self.byte()?;
            self.tag_or_attestation(t, msg.clone(), depth)?;
            tag = self.byte()?;
        }
        self.tag_or_attestation(tag, msg, depth)
    }

    fn tag_or_attestation(&mut self, tag: u8, msg: Option<Vec<u8>>, depth: usize) -> R<()> {
        if tag == 0x00 {
            return self.attestation(msg);
        }
        let next = match tag {
            0x08 => msg.map(|m| Sha256::digest(m).to_vec()),
            0x02 => msg.map(|m| sha1::Sha1::digest(m).to_vec()),
            0x03 | 0x67 => None, // RIPEMD-160, Keccak-256: parsed, not computed
            0xf0 | 0xf1 => {
                let arg = self.varbytes(MAX_MSG)?;
                msg.map(|m| if tag == 0xf0 { [&m[..], arg].concat() } else { [arg, &m[..]].concat() })
            }
            0xf2 => msg.map(|mut m| {
                m.reverse();
                m
            }),
            0xf3 => msg.map(|m| hex::encode(m).into_bytes()),
            other => return self.fail(format!("unknown operation 0x{other:02x}")),
        };
        if next.as_ref().is_some_and(|m| m.len() > MAX_MSG) {
            return self.fail("an operation's result exceeds 4096 bytes");
        }
        self.timestamp(next, depth + 1)
    }

    fn attestation(&mut self, msg: Option<Vec<u8>>) -> R<()> {
        if self.attestations.len() >= MAX_ATTESTATIONS {
            return self.fail("more than 1024 attestations");
        }
        let tag: [u8; 8] = self.bytes(8)?.try_into().map_err(|_| "tag".to_string())?;
        let payload = self.varbytes(MAX_PAYLOAD)?;
        let mut inner = Reader { buf: payload, pos: 0, attestations: Vec::new() };
        let mut a = Attestation {
            kind: "unknown".into(),
            height: None,
            uri: None,
            commitment: msg.map(hex::encode),
            tag: None,
        };
        match tag {
            PENDING => {
                let uri = inner.varbytes(1000)?;
                let uri = std::str::from_utf8(uri).map_err(|_| "the calendar URI is not UTF-8".to_string())?;
                if !uri.bytes().all(|b| b.is_ascii_graphic()) {
                    return self.fail("the calendar URI has characters a URL cannot");
                }
                a.kind = "pending".into();
                a.uri = Some(uri.to_string());
            }
            BITCOIN | LITECOIN => {
                a.kind = if tag == BITCOIN { "bitcoin" } else { "litecoin" }.into();
                a.height = Some(inner.varuint()?);
            }
            other => a.tag = Some(hex::encode(other)),
        }
        if a.kind != "unknown" && inner.pos != payload.len() {
            return self.fail("trailing bytes in an attestation");
        }
        self.attestations.push(a);
        Ok(())
    }
}

/// Parse a `.ots` proof; the error names the byte where it went wrong.
pub fn parse(bytes: &[u8]) -> Result<OtsProof, String> {
    if bytes.len() > MAX_INPUT {
        return Err(format!("{} bytes is more than the 1 MB an .ots proof may have", bytes.len()));
    }
    let mut r = Reader { buf: bytes, pos: 0, attestations: Vec::new() };
    if r.bytes(MAGIC.len()).ok() != Some(MAGIC) {
        return Err("not an OpenTimestamps proof (bad magic)".into());
    }
    let version = r.varuint()?;
    if version != 1 {
        return r.fail(format!("unsupported major version {version}"));
    }
    let (alg, len) = match r.byte()? {
        0x08 => ("sha256", 32),
        0x02 => ("sha1", 20),
        0x03 => ("ripemd160", 20),
        0x67 => ("keccak256", 32),
        other => return r.fail(format!("unknown file hash operation 0x{other:02x}")),
    };
    let digest = r.bytes(len)?.to_vec();
    r.timestamp(Some(digest.clone()), 0)?;
    if r.pos != bytes.len() {
        return r.fail(format!("{} bytes of trailing garbage", bytes.len() - r.pos));
    }
    Ok(OtsProof { digest_alg: alg.into(), digest: hex::encode(digest), attestations: r.attestations })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn header(digest: &str) -> Vec<u8> {
        [MAGIC, b"\x01\x08", &hex::decode(digest).unwrap()].concat()
    }

    fn pending(uri: &str) -> Vec<u8> {
        let mut p = vec![uri.len() as u8];
        p.extend_from_slice(uri.as_bytes());
        [&[0x00][..], &PENDING, &[p.len() as u8], &p].concat()
    }

    #[test]
    fn the_reference_implementations_serialisation_test_parses() {
        // python-opentimestamps, Test_DetachedTimestampFile.test_serialization.
        let bytes = [header(EMPTY_SHA256), pending("foobar")].concat();
        let p = parse(&bytes).unwrap();
        assert_eq!((p.digest_alg.as_str(), p.digest.as_str()), ("sha256", EMPTY_SHA256));
        assert_eq!(p.attestations.len(), 1);
        assert_eq!(p.attestations[0].uri.as_deref(), Some("foobar"));
        assert_eq!(p.status(), "pending");
        // Its failure cases.
        assert!(parse(b"").is_err());
        assert!(parse(&[MAGIC, b"\x00"].concat()).unwrap_err().contains("version"));
        let bad_op = [MAGIC, b"\x01\x42", &[0u8; 32], &pending("foobar")].concat();
        assert!(parse(&bad_op).is_err());
        let trailing = [header(EMPTY_SHA256), pending("foobar"), b"trailing garbage".to_vec()].concat();
        assert!(parse(&trailing).unwrap_err().contains("trailing garbage"));
    }

    #[test]
    fn forks_operations_and_a_bitcoin_block_are_reported_with_their_commitment() {
        // fork: pending at a calendar | append 01, sha256, bitcoin block 358391
        let bitcoin = [&[0x00][..], &BITCOIN, &[0x03], &[0xf7, 0xef, 0x15]].concat();
        let bytes = [
            header(EMPTY_SHA256),
            vec![0xff],
            pending("https://alice.btc.calendar.opentimestamps.org"),
            vec![0xf0, 0x01, 0x01, 0x08],
            bitcoin,
        ]
        .concat();
        let p = parse(&bytes).unwrap();
        assert_eq!(p.attestations.len(), 2);
        let b = &p.attestations[1];
        assert_eq!((b.kind.as_str(), b.height), ("bitcoin", Some(358391)));
        let expect = Sha256::digest([hex::decode(EMPTY_SHA256).unwrap(), vec![1]].concat());
        assert_eq!(b.commitment.as_deref(), Some(hex::encode(expect).as_str()));
        assert_eq!(p.status(), "attested in bitcoin block 358391");
    }

    #[test]
    fn the_reference_limits_hold() {
        // 256 nested sha256 operations exceed the recursion limit.
        let deep = [header(EMPTY_SHA256), vec![0x08; 257], pending("x")].concat();
        assert!(parse(&deep).unwrap_err().contains("deeper"));
        let ok = [header(EMPTY_SHA256), vec![0x08; 200], pending("x")].concat();
        assert!(parse(&ok).is_ok());
        // An append that would make a message longer than 4096 bytes.
        let mut long = header(EMPTY_SHA256);
        long.extend_from_slice(&[0xf0, 0xf0, 0x1f]); // varuint 4080
        long.extend_from_slice(&[7u8; 4080]);
        long.extend_from_slice(&pending("x"));
        assert!(parse(&long).unwrap_err().contains("4096"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
            let _ = parse(&[header(EMPTY_SHA256), bytes].concat());
        }
    }
}
