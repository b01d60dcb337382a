//! Content Credentials (C2PA). Detection is ours and cheap: a JUMBF
//! description box labelled `c2pa` in the bytes already read (JPEG APP11,
//! PNG `caBX`, WebP `C2PA`), or the C2PA `uuid` box in ISO-BMFF files.

use serde::{Deserialize, Serialize};

/// What a file's Content Credentials say, and whether they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct C2pa {
    /// `valid` (signature and hashes check; the signer may still be
    /// untrusted), `invalid` (see `codes`), or `unreadable`.
    pub status: String,
    /// Validation failure codes (`assertion.dataHash.mismatch`, ...), empty when valid.
    pub codes: Vec<String>,
    /// Issuer / common name of the signing certificate.
    pub signer: Option<String>,
    /// When it was signed, if the manifest says.
    pub signed_at: Option<String>,
    /// `claim_generator` of the active manifest (the tool that wrote it).
    pub claim_generator: Option<String>,
    pub title: Option<String>,
    /// `c2pa.actions` entries: action, with the software agent when given.
    pub actions: Vec<String>,
    /// Ingredient titles (the files this one was made from).
    pub ingredients: Vec<String>,
    /// Digital source types that declare generative AI involvement
    /// (`trainedAlgorithmicMedia`, `compositeWithTrainedAlgorithmicMedia`).
    pub ai_generated: Vec<String>,
    /// Manifests in the store (the active one and its ingredients').
    pub manifests: usize,
}

/// Does `prefix` hold a C2PA manifest store (a `jumd` box labelled `c2pa`)?
pub(crate) fn hint(prefix: &[u8]) -> bool {
    let mut rest = prefix;
    while let Some(i) = memchr::memmem::find(rest, b"jumd") {
        // jumd payload: 16-byte content type UUID, toggles byte, then the label.
        let label = rest.get(i + 4 + 17..i + 4 + 17 + 5);
        if label == Some(b"c2pa\0".as_slice()) {
            return true;
        }
        rest = &rest[i + 4..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_manifest_store_label() {
        let mut b = b"\xff\xd8\xff\xeb\x00\x40JP".to_vec();
        b.extend_from_slice(b"\0\0\0\x28jumd");
        b.extend_from_slice(&[0x63, 0x32, 0x70, 0x61, 0, 0x11, 0, 0x10, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71, 3]);
        b.extend_from_slice(b"c2pa\0");
        assert!(hint(&b));
        assert!(!hint(b"jumd......"));
        assert!(!hint(b""));
    }
}
