//! Content Credentials (C2PA). Detection is ours and cheap: a JUMBF
//! description box labelled `c2pa` in the bytes already read (JPEG APP11,
//! PNG `caBX`, WebP `C2PA`), or the C2PA `uuid` box in ISO-BMFF files. Only
//! then does the official `c2pa` crate read and validate the manifest store,
//! which hashes the whole file (the hard binding), so files without
//! credentials keep header-only probing.

use std::io::{Read, Seek};

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

/// Read and validate the manifest store of a file `hint` flagged.
#[cfg(feature = "c2pa")]
pub(crate) fn read<R: Read + Seek + Send>(mime: &str, r: R) -> C2pa {
    let reader = match super::guarded(|| c2pa::Reader::from_context(c2pa::Context::new()).with_stream(mime, r)) {
        Ok(Ok(reader)) => reader,
        Ok(Err(e)) => return C2pa { status: "unreadable".into(), codes: vec![e.to_string()], ..C2pa::default() },
        Err(e) => return C2pa { status: "unreadable".into(), codes: vec![e], ..C2pa::default() },
    };
    let state = reader.validation_state();
    // An untrusted signer (no trust list is configured here) is reported as
    // a code but does not make the credentials invalid.
    let codes: Vec<String> = reader
        .validation_results()
        .and_then(|v| v.active_manifest())
        .map(|m| m.failure().iter().map(|s| s.code().to_string()).collect())
        .unwrap_or_default();
    let status = match state {
        c2pa::ValidationState::Invalid => "invalid",
        c2pa::ValidationState::Valid => "valid",
        c2pa::ValidationState::Trusted => "trusted",
    };
    let json: serde_json::Value = serde_json::from_str(&reader.json()).unwrap_or_default();
    let mut out = summary(&json);
    out.status = status.into();
    out.codes = codes;
    out
}

/// Without the `c2pa` feature: say the credentials were seen, not checked.
#[cfg(not(feature = "c2pa"))]
pub(crate) fn read<R: Read + Seek + Send>(_mime: &str, _r: R) -> C2pa {
    C2pa {
        status: "not-checked".into(),
        codes: vec!["evcat was built without the c2pa feature".into()],
        ..C2pa::default()
    }
}

/// The parts of the manifest store JSON (`Reader::json`) a verifier reads.
fn summary(store: &serde_json::Value) -> C2pa {
    let str_of = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let active = store["active_manifest"].as_str().and_then(|l| store["manifests"].get(l)).cloned().unwrap_or_default();
    let generator = str_of(&active["claim_generator"]).or_else(|| {
        let info = active["claim_generator_info"].as_array()?.first()?.clone();
        let name = str_of(&info["name"])?;
        Some(match str_of(&info["version"]) {
            Some(v) => format!("{name} {v}"),
            None => name,
        })
    });
    let sig = &active["signature_info"];
    let mut actions = Vec::new();
    let mut ai = Vec::new();
    for a in active["assertions"].as_array().into_iter().flatten() {
        let label = a["label"].as_str().unwrap_or_default();
        if !label.starts_with("c2pa.actions") {
            continue;
        }
        for act in a["data"]["actions"].as_array().into_iter().flatten() {
            let name = act["action"].as_str().unwrap_or("?");
            let agent = str_of(&act["softwareAgent"]).or_else(|| str_of(&act["softwareAgent"]["name"]));
            actions.push(match agent {
                Some(g) => format!("{name} by {g}"),
                None => name.to_string(),
            });
            if let Some(t) = act["digitalSourceType"].as_str() {
                let short = t.rsplit('/').next().unwrap_or(t);
                if short.contains("trainedAlgorithmic") || short.contains("algorithmicMedia") {
                    ai.push(short.to_string());
                }
            }
        }
    }
    C2pa {
        status: String::new(),
        codes: Vec::new(),
        signer: str_of(&sig["common_name"]).or_else(|| str_of(&sig["issuer"])),
        signed_at: str_of(&sig["time"]),
        claim_generator: generator,
        title: str_of(&active["title"]),
        actions,
        ingredients: active["ingredients"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| str_of(&i["title"]))
            .collect(),
        ai_generated: ai,
        manifests: store["manifests"].as_object().map_or(0, |m| m.len()),
    }
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
    fn summary_of_a_store() {
        let store = serde_json::json!({
            "active_manifest": "urn:a",
            "manifests": {"urn:a": {
                "claim_generator_info": [{"name": "Gen", "version": "2"}],
                "title": "x.jpg",
                "signature_info": {"issuer": "Test CA", "common_name": "Signer", "time": "2026-03-14T12:00:00Z"},
                "ingredients": [{"title": "parent.jpg"}],
                "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
                    {"action": "c2pa.created", "softwareAgent": {"name": "Model X"},
                     "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"},
                    {"action": "c2pa.edited"}]}}]
            }, "urn:b": {}}
        });
        let c = summary(&store);
        assert_eq!(c.claim_generator.as_deref(), Some("Gen 2"));
        assert_eq!(c.signer.as_deref(), Some("Signer"));
        assert_eq!(c.actions, ["c2pa.created by Model X", "c2pa.edited"]);
        assert_eq!(c.ai_generated, ["trainedAlgorithmicMedia"]);
        assert_eq!((c.ingredients.len(), c.manifests), (1, 2));
        assert_eq!(summary(&serde_json::Value::Null), C2pa::default());
    }

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
