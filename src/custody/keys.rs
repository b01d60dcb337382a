//! Actors' ed25519 signing keys: generation, key files, key ids, strict
//! signature checks.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{CustodyError, Result};

/// An actor's ed25519 signing key.
pub struct Keypair {
    key: SigningKey,
}

impl fmt::Debug for Keypair {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.key_id())
    }
}

const KEY_HEADER: &str = "evcat-ed25519-secret-v1";

impl Keypair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Keypair> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| CustodyError::Random(e.to_string()))?;
        Ok(Keypair { key: SigningKey::from_bytes(&seed) })
    }

    /// From a 32-byte secret seed (tests and verifiers with fixed vectors).
    pub fn from_seed(seed: [u8; 32]) -> Keypair {
        Keypair { key: SigningKey::from_bytes(&seed) }
    }

    /// Public key, 64 lowercase hex characters.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// First 16 hex characters of SHA-256(public key bytes).
    pub fn key_id(&self) -> String {
        key_id_of(self.key.verifying_key().as_bytes())
    }

    /// Sign a 32-byte event hash (pure Ed25519, RFC 8032).
    pub fn sign(&self, hash: &[u8; 32]) -> [u8; 64] {
        self.key.sign(hash).to_bytes()
    }

    /// Write the secret to `path` (mode 0600) atomically; refuses to replace
    /// an existing file, so a key can never be silently lost.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io_err = |op, source| CustodyError::KeyIo { op, path: path.to_path_buf(), source };
        if path.exists() {
            return Err(CustodyError::Key {
                path: path.to_path_buf(),
                reason: "already exists; refusing to overwrite a signing key".into(),
            });
        }
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let body = format!("{KEY_HEADER} {}\n", hex::encode(self.key.to_bytes()));
        let written = (|| -> io::Result<()> {
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(body.as_bytes())?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", e));
        }
        // hard_link fails if `path` appeared meanwhile: no overwrite race.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        linked.map_err(|e| io_err("create", e))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Read a key written by [`Keypair::save`]. Refuses files that group or
    /// others can read: a leaked key lets anyone sign as the actor.
    pub fn load(path: &Path) -> Result<Keypair> {
        let meta = fs::metadata(path).map_err(|source| CustodyError::KeyIo {
            op: "read",
            path: path.to_path_buf(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CustodyError::Key {
                    path: path.to_path_buf(),
                    reason: format!(
                        "is accessible by group or others (mode {mode:o}); run `chmod 600 {}`",
                        path.display()
                    ),
                });
            }
        }
        if meta.len() > 4096 {
            return Err(CustodyError::Key {
                path: path.to_path_buf(),
                reason: "is too large to be an evcat key".into(),
            });
        }
        let text = fs::read_to_string(path).map_err(|source| CustodyError::KeyIo {
            op: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: &str| CustodyError::Key { path: path.to_path_buf(), reason: reason.into() };
        let hex_part =
            text.trim().strip_prefix(KEY_HEADER).ok_or_else(|| bad("is not an evcat key (missing header)"))?.trim();
        let mut seed = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut seed).map_err(|_| bad("does not hold 64 hex characters of key"))?;
        Ok(Keypair::from_seed(seed))
    }
}

/// Key id of a raw 32-byte public key.
pub fn key_id_of(public: &[u8]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

/// Check `signature` over `hash` with a hex public key (strict verification:
/// rejects non-canonical and small-order encodings).
pub fn verify_signature(public_hex: &str, hash: &[u8; 32], signature: &[u8; 64]) -> bool {
    let mut pk = [0u8; 32];
    if hex::decode_to_slice(public_hex, &mut pk).is_err() {
        return false;
    }
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify_strict(hash, &Signature::from_bytes(signature)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn key_files_are_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("alice.key");
        let k = Keypair::generate().unwrap();
        k.save(&p).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Keypair::load(&p).unwrap().public_hex(), k.public_hex());
        assert!(Keypair::generate().unwrap().save(&p).is_err());
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Keypair::load(&p).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
