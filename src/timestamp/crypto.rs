//! Signature checks for RFC 3161 tokens and X.509 certificates, with
//! RustCrypto's `rsa` (PKCS #1 v1.5) and `p256`/`p384` (ECDSA), over a digest
//! computed here. No OpenSSL.

use der::oid::ObjectIdentifier;
use der::Encode;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;

pub(super) const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub(super) const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
pub(super) const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// A digest algorithm the verifier accepts for signatures (SHA-1 only for
/// ESSCertID v1 certificate hashes, never for a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub(super) fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlg> {
        Some(match *oid {
            SHA1 => DigestAlg::Sha1,
            SHA256 => DigestAlg::Sha256,
            SHA384 => DigestAlg::Sha384,
            SHA512 => DigestAlg::Sha512,
            _ => return None,
        })
    }

    pub(super) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            DigestAlg::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlg::Sha384 => Sha384::digest(data).to_vec(),
            DigestAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Verify `signature` over `message` with the public key of `signer`.
/// `sig_alg`: the signature algorithm OID (plain `rsaEncryption` takes its
/// digest from `digest`, as CMS signer infos do).
pub(super) fn verify(
    signer: &Certificate,
    sig_alg: &ObjectIdentifier,
    digest: Option<DigestAlg>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let (digest, rsa) = match *sig_alg {
        RSA => (digest, true),
        RSA_SHA256 => (Some(DigestAlg::Sha256), true),
        RSA_SHA384 => (Some(DigestAlg::Sha384), true),
        RSA_SHA512 => (Some(DigestAlg::Sha512), true),
        ECDSA_SHA256 => (Some(DigestAlg::Sha256), false),
        ECDSA_SHA384 => (Some(DigestAlg::Sha384), false),
        ECDSA_SHA512 => (Some(DigestAlg::Sha512), false),
        other => return Err(format!("signature algorithm {other} is not supported (RSA PKCS #1 v1.5 or ECDSA)")),
    };
    let digest = match digest {
        Some(DigestAlg::Sha1) | None => return Err("signatures over SHA-1 are not accepted".into()),
        Some(d) => d,
    };
    let hashed = digest.digest(message);
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let key_bits = spki.subject_public_key.raw_bytes();
    if rsa {
        if spki.algorithm.oid != RSA {
            return Err("an RSA signature, but the certificate's key is not RSA".into());
        }
        use rsa::pkcs1::DecodeRsaPublicKey;
        let key = rsa::RsaPublicKey::from_pkcs1_der(key_bits).map_err(|e| format!("bad RSA key: {e}"))?;
        let scheme = match digest {
            DigestAlg::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
            DigestAlg::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
            _ => rsa::Pkcs1v15Sign::new::<Sha512>(),
        };
        return key.verify(scheme, &hashed, signature).map_err(|_| "the RSA signature does not verify".to_string());
    }
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err("an ECDSA signature, but the certificate's key is not an EC key".into());
    }
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let bad = |_| "the ECDSA signature does not verify".to_string();
    match curve {
        Some(P256) => {
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bits).map_err(|e| format!("bad P-256 key: {e}"))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|e| format!("malformed signature: {e}"))?;
            vk.verify_prehash(&hashed, &sig).map_err(bad)
        }
        Some(P384) => {
            let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bits).map_err(|e| format!("bad P-384 key: {e}"))?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|e| format!("malformed signature: {e}"))?;
            vk.verify_prehash(&hashed, &sig).map_err(bad)
        }
        _ => Err("EC curve not supported (P-256 or P-384)".into()),
    }
}

/// Did `issuer` sign `cert`?
pub(super) fn issued_by(cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Err("issuer name differs".into());
    }
    let tbs = cert.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let sig = cert.signature.as_bytes().ok_or("the certificate's signature is not whole bytes")?;
    verify(issuer, &cert.signature_algorithm.oid, None, &tbs, sig)
}
