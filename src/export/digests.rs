//! The checksum algorithms that other tools' lists carry (RFC 8493 bag
//! manifests, hashdeep known lists) and evcat verifies, and a one-pass digest
//! of a file with every algorithm a list uses.
//!
//! evcat writes only `manifest-sha256.txt`, but bags from other tools carry
//! md5 (older bagit.py's default, common in legacy bags), sha1, the
//! SHA-2 family (bagit.py's default now: sha256 + sha512), often two at once;
//! RFC 8493 §3 says every payload file is listed in every payload manifest,
//! and a validator checks them all. Each file is read once whatever the
//! number of manifests, and its SHA-256 (the catalog's identity of bytes) is
//! always computed.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sha2::Digest;

use crate::error::{Error, Result};
use crate::hash::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    // In order of strength: a bag's last algorithm names it.
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// The name in `manifest-NAME.txt`, as RFC 8493 §2.4 lists it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Some(match name {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return None,
        })
    }

    /// Length of the digest in hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
            Algorithm::Sha224 => 56,
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }

    /// The algorithm of a manifest file name (`manifest-sha512.txt`,
    /// `tagmanifest-md5.txt`), with whether it is a tag manifest. `Err`
    /// carries the algorithm name evcat cannot check (`sha3_256`, `blake2b`).
    pub fn of_manifest(file_name: &str) -> Option<(std::result::Result<Algorithm, String>, bool)> {
        let (rest, tag) = match file_name.strip_prefix("tagmanifest-") {
            Some(r) => (r, true),
            None => (file_name.strip_prefix("manifest-")?, false),
        };
        let name = rest.strip_suffix(".txt")?;
        Some((Algorithm::parse(name).ok_or_else(|| name.to_string()), tag))
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A file's SHA-256, size, and its digest (lowercase hex) by each of `algs`.
pub fn digest_file(path: &Path, algs: &[Algorithm]) -> Result<(Sha256, u64, BTreeMap<Algorithm, String>)> {
    let mut f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut sha256 = sha2::Sha256::new();
    let mut md5 = algs.contains(&Algorithm::Md5).then(md5::Md5::new);
    let mut sha1 = algs.contains(&Algorithm::Sha1).then(sha1::Sha1::new);
    let mut sha224 = algs.contains(&Algorithm::Sha224).then(sha2::Sha224::new);
    let mut sha384 = algs.contains(&Algorithm::Sha384).then(sha2::Sha384::new);
    let mut sha512 = algs.contains(&Algorithm::Sha512).then(sha2::Sha512::new);
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", path, e)),
        };
        let chunk = &buf[..n];
        size += n as u64;
        sha256.update(chunk);
        if let Some(h) = md5.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = sha1.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = sha224.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = sha384.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = sha512.as_mut() {
            h.update(chunk);
        }
    }
    let sha = Sha256(sha256.finalize().into());
    let mut out = BTreeMap::new();
    for &a in algs {
        let hex = match a {
            Algorithm::Sha256 => sha.to_hex(),
            Algorithm::Md5 => md5.take().map(|h| hex::encode(h.finalize())).unwrap_or_default(),
            Algorithm::Sha1 => sha1.take().map(|h| hex::encode(h.finalize())).unwrap_or_default(),
            Algorithm::Sha224 => sha224.take().map(|h| hex::encode(h.finalize())).unwrap_or_default(),
            Algorithm::Sha384 => sha384.take().map(|h| hex::encode(h.finalize())).unwrap_or_default(),
            Algorithm::Sha512 => sha512.take().map(|h| hex::encode(h.finalize())).unwrap_or_default(),
        };
        out.insert(a, hex);
    }
    Ok((sha, size, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        fs::write(&p, b"abc").unwrap();
        use Algorithm::*;
        let all = [Md5, Sha1, Sha224, Sha256, Sha384, Sha512];
        let (sha, size, d) = digest_file(&p, &all).unwrap();
        assert_eq!(size, 3);
        // FIPS 180-2 / RFC 1321 test vectors for "abc".
        assert_eq!(d[&Algorithm::Md5], "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d[&Algorithm::Sha1], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(d[&Sha224], "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
        assert_eq!(
            d[&Sha384],
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(sha.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(d[&Algorithm::Sha256], sha.to_hex());
        assert_eq!(
            d[&Algorithm::Sha512],
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        for a in all {
            assert_eq!(d[&a].len(), a.hex_len());
        }
    }

    #[test]
    fn manifest_names() {
        assert_eq!(Algorithm::of_manifest("manifest-sha512.txt"), Some((Ok(Algorithm::Sha512), false)));
        assert_eq!(Algorithm::of_manifest("tagmanifest-md5.txt"), Some((Ok(Algorithm::Md5), true)));
        assert_eq!(Algorithm::of_manifest("manifest-blake2b.txt"), Some((Err("blake2b".into()), false)));
        assert_eq!(Algorithm::of_manifest("bag-info.txt"), None);
        assert_eq!(Algorithm::of_manifest("manifest-sha256.md"), None);
    }
}
