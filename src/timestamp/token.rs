//! Offline verification of an RFC 3161 time-stamp token: the message
//! imprint, the CMS signature (RFC 5652) with its signed attributes, the
//! ESS signing-certificate binding (RFC 2634 / RFC 5816), and the signer's
//! certificate chain to a trust store the user names, every certificate
//! valid at the attested time.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{Any, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Sequence};
use serde::Serialize;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::TstInfo;

use super::crypto::{self, DigestAlg};
use super::{TokenProblem, TokenProblemKind, TsaTrust};

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ATTR_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ATTR_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ATTR_SIGNING_CERT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ATTR_SIGNING_CERT_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// Longest certificate chain followed.
const MAX_CHAIN: usize = 8;

/// ESSCertIDv2 (RFC 5816); the hash algorithm defaults to SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// ESSCertID (RFC 2634): a SHA-1 hash of the certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// What a token says, once parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenInfo {
    /// The attested time, RFC 3339 UTC.
    pub gen_time: String,
    /// `genTime` as Unix seconds.
    pub gen_unix: i64,
    pub serial: String,
    pub policy: String,
    /// The message imprint (hex) and its hash algorithm.
    pub imprint: String,
    pub imprint_alg: String,
    pub nonce: Option<String>,
    /// The TSA's name in the token, if any.
    pub tsa: Option<String>,
    /// The signing certificate's subject.
    pub signer: Option<String>,
    /// Subjects from the signer up to the trust anchor, when the chain was checked.
    pub chain: Vec<String>,
}

/// Everything found about one token.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TokenCheck {
    pub info: Option<TokenInfo>,
    /// The certificate chain was checked against a trust store.
    pub chain_checked: bool,
    pub problems: Vec<TokenProblem>,
}

impl TokenCheck {
    fn problem(&mut self, kind: TokenProblemKind, message: impl Into<String>) {
        self.problems.push(TokenProblem { kind, message: message.into() });
    }

    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// Verify `token` (DER `TimeStampToken`) for `imprint` (the SHA-256 the
/// token must attest), with the chain checked against `trust` when given.
pub fn verify_token(token: &[u8], imprint: &[u8; 32], trust: Option<&TsaTrust>) -> TokenCheck {
    let mut check = TokenCheck::default();
    let parsed = parse(token);
    let (sd, tst, econtent) = match parsed {
        Ok(p) => p,
        Err(why) => {
            check.problem(TokenProblemKind::Malformed, why);
            return check;
        }
    };
    let gen_unix = tst.gen_time.to_unix_duration().as_secs() as i64;
    let mut info = TokenInfo {
        gen_time: chrono::DateTime::from_timestamp(gen_unix, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        gen_unix,
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        imprint: hex::encode(tst.message_imprint.hashed_message.as_bytes()),
        imprint_alg: tst.message_imprint.hash_algorithm.oid.to_string(),
        nonce: tst.nonce.as_ref().map(|n| hex::encode(n.as_bytes())),
        tsa: tst.tsa.as_ref().map(|n| format!("{n:?}")).map(|s| general_name(&s)),
        signer: None,
        chain: Vec::new(),
    };
    if tst.message_imprint.hash_algorithm.oid != crypto::SHA256
        || tst.message_imprint.hashed_message.as_bytes() != imprint
    {
        check.problem(
            TokenProblemKind::ImprintMismatch,
            format!(
                "the token attests imprint {} ({}), not {} (SHA-256): it is a token for something else",
                info.imprint,
                info.imprint_alg,
                hex::encode(imprint)
            ),
        );
    }
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let signer_infos: Vec<&SignerInfo> = sd.signer_infos.0.iter().collect();
    let [si] = signer_infos[..] else {
        check.problem(TokenProblemKind::Malformed, format!("{} signer infos, expected one", signer_infos.len()));
        check.info = Some(info);
        return check;
    };
    let pool: Vec<&Certificate> = certs.iter().chain(trust.map(|t| t.certs.iter()).into_iter().flatten()).collect();
    let Some(signer) = pool.iter().copied().find(|c| identifies(&si.sid, c)) else {
        check.problem(
            TokenProblemKind::SignerNotFound,
            "the signing certificate is neither in the token nor in the trust store",
        );
        check.info = Some(info);
        return check;
    };
    info.signer = Some(subject(signer));
    if let Err(why) = check_signature(si, signer, &econtent) {
        check.problem(TokenProblemKind::BadSignature, why);
    }
    match signer.tbs_certificate.get::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if eku.0.contains(&KP_TIME_STAMPING) => {}
        _ => check.problem(
            TokenProblemKind::NotForTimestamping,
            format!("the signing certificate {} is not issued for time-stamping (extendedKeyUsage)", subject(signer)),
        ),
    }
    if let Some(trust) = trust {
        check.chain_checked = true;
        match chain(signer, &pool, trust) {
            Ok(path) => {
                for c in &path {
                    let v = &c.tbs_certificate.validity;
                    let (nb, na) =
                        (v.not_before.to_unix_duration().as_secs(), v.not_after.to_unix_duration().as_secs());
                    if (gen_unix as u64) < nb || (gen_unix as u64) > na {
                        check.problem(
                            TokenProblemKind::Expired,
                            format!(
                                "certificate {} is valid {} to {}, not at the attested time {}",
                                subject(c),
                                v.not_before,
                                v.not_after,
                                info.gen_time
                            ),
                        );
                    }
                }
                info.chain = path.iter().map(|c| subject(c)).collect();
            }
            Err(why) => check.problem(TokenProblemKind::Untrusted, why),
        }
    }
    check.info = Some(info);
    check
}

/// `DirName:/CN=...` style names from the debug form are long; keep the subject.
fn general_name(debug: &str) -> String {
    debug.to_string()
}

fn parse(token: &[u8]) -> Result<(SignedData, TstInfo, Vec<u8>), String> {
    let ci = ContentInfo::from_der(token).map_err(|e| format!("not a CMS ContentInfo: {e}"))?;
    if ci.content_type != SIGNED_DATA {
        return Err(format!("content type {} is not SignedData", ci.content_type));
    }
    let sd = ci.content.decode_as::<SignedData>().map_err(|e| format!("not a CMS SignedData: {e}"))?;
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err(format!("it signs {}, not a TSTInfo", sd.encap_content_info.econtent_type));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the TSTInfo is missing")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("the TSTInfo is not an OCTET STRING: {e}"))?
        .into_bytes();
    let tst = TstInfo::from_der(&econtent).map_err(|e| format!("malformed TSTInfo: {e}"))?;
    Ok((sd, tst, econtent))
}

fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(is) => {
            is.issuer == cert.tbs_certificate.issuer && is.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(cert.tbs_certificate.get::<SubjectKeyIdentifier>(), Ok(Some((_, s))) if s == *ski)
        }
    }
}

/// The signed attributes (content type, message digest of the TSTInfo, the
/// ESS binding to the signer's certificate) and the signature over them.
fn check_signature(si: &SignerInfo, signer: &Certificate, econtent: &[u8]) -> Result<(), String> {
    let digest = DigestAlg::from_oid(&si.digest_alg.oid)
        .filter(|d| *d != DigestAlg::Sha1)
        .ok_or_else(|| format!("digest algorithm {} is not supported", si.digest_alg.oid))?;
    let attrs = si.signed_attrs.as_ref().ok_or("the token has no signed attributes")?;
    let attr = |oid: ObjectIdentifier| attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next());
    let ct = attr(ATTR_CONTENT_TYPE).and_then(|v| v.decode_as::<ObjectIdentifier>().ok());
    if ct != Some(TST_INFO) {
        return Err("the signed content-type attribute is not TSTInfo".into());
    }
    let md = attr(ATTR_MESSAGE_DIGEST).and_then(|v| v.decode_as::<OctetString>().ok());
    if md.as_ref().map(OctetString::as_bytes) != Some(digest.digest(econtent).as_slice()) {
        return Err("the signed message digest does not match the TSTInfo (the token was altered)".into());
    }
    let cert_der = signer.to_der().map_err(|e| e.to_string())?;
    let bound = if let Some(v) = attr(ATTR_SIGNING_CERT_V2) {
        let sc = v.decode_as::<SigningCertificateV2>().map_err(|e| format!("malformed SigningCertificateV2: {e}"))?;
        let first = sc.certs.first().ok_or("empty SigningCertificateV2")?;
        let alg = first.hash_algorithm.as_ref().map(|a| a.oid).unwrap_or(crypto::SHA256);
        let alg = DigestAlg::from_oid(&alg).ok_or("unsupported ESSCertIDv2 hash")?;
        alg.digest(&cert_der) == first.cert_hash.as_bytes()
    } else if let Some(v) = attr(ATTR_SIGNING_CERT) {
        let sc = v.decode_as::<SigningCertificate>().map_err(|e| format!("malformed SigningCertificate: {e}"))?;
        let first = sc.certs.first().ok_or("empty SigningCertificate")?;
        DigestAlg::Sha1.digest(&cert_der) == first.cert_hash.as_bytes()
    } else {
        return Err("the token names no signing certificate (ESS signing-certificate attribute)".into());
    };
    if !bound {
        return Err(format!("the token's signing-certificate attribute does not name {}", subject(signer)));
    }
    let message = attrs.to_der().map_err(|e| e.to_string())?;
    crypto::verify(signer, &si.signature_algorithm.oid, Some(digest), &message, si.signature.as_bytes())
        .map_err(|why| format!("{why} (signer {})", subject(signer)))
}

/// The chain from `leaf` to a certificate of the trust store, each link's
/// signature checked; issuers must be CAs.
fn chain<'a>(
    leaf: &'a Certificate,
    pool: &[&'a Certificate],
    trust: &TsaTrust,
) -> Result<Vec<&'a Certificate>, String> {
    let mut path = vec![leaf];
    let mut cur = leaf;
    for _ in 0..MAX_CHAIN {
        if trust.certs.iter().any(|t| t == cur) {
            return Ok(path);
        }
        let issuer = pool.iter().copied().find(|c| {
            *c != cur
                && crypto::issued_by(cur, c).is_ok()
                && matches!(c.tbs_certificate.get::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca)
        });
        match issuer {
            Some(i) => {
                path.push(i);
                cur = i;
            }
            None => break,
        }
    }
    Err(format!(
        "the signing certificate {} does not chain to a certificate of the trust store (chain: {})",
        subject(leaf),
        path.iter().map(|c| subject(c)).collect::<Vec<_>>().join(" <- ")
    ))
}
