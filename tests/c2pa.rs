//! Content Credentials: a JPEG signed with the official `c2pa` crate (an
//! ephemeral test CA and Ed25519 end-entity certificate) is recorded as valid
//! with its signer, generator, actions and AI assertion; the same file with
//! one flipped byte of image data is recorded as invalid, with the codes.
#![cfg(feature = "c2pa")]

mod common;

use common::{media, s, Cat};

const MANIFEST: &str = r#"{
  "claim_generator_info": [{"name": "evcat-test-generator", "version": "1.0"}],
  "title": "generated.jpg",
  "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
      "action": "c2pa.created",
      "softwareAgent": "Image Model 3",
      "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
  }]}}]
}"#;

fn signed_jpeg(c: &Cat) -> Vec<u8> {
    let src = c.write("plain.jpg", &media::jpeg_bytes(96, 64, 4));
    let signer = c2pa::EphemeralSigner::new("evcat test signer").expect("ephemeral test certificate");
    let mut builder =
        c2pa::Builder::from_context(c2pa::Context::new()).with_definition(MANIFEST).expect("manifest definition");
    let mut source = std::fs::File::open(&src).expect("open source");
    let mut dest = std::io::Cursor::new(Vec::new());
    builder.sign(&signer, "image/jpeg", &mut source, &mut dest).expect("sign with c2pa");
    dest.into_inner()
}

#[test]
fn signed_file_is_valid_and_a_flipped_byte_is_reported() {
    let c = Cat::new();
    let good = signed_jpeg(&c);
    let mut bad = good.clone();
    // A byte of entropy-coded image data, before the EOI marker.
    let at = bad.len() - 10;
    bad[at] ^= 0x55;
    let good_p = c.write("signed.jpg", &good);
    let bad_p = c.write("tampered.jpg", &bad);
    let r = c.json(&["add", s(&good_p), s(&bad_p)]);
    assert_eq!(r["registered"], 2, "{r}");

    let f1 = c.json(&["show", "F1"]);
    let cr = &f1["file"]["c2pa"];
    assert_eq!(cr["status"], "valid", "{cr}");
    assert!(cr["signer"].as_str().is_some_and(|s| !s.is_empty()), "{cr}");
    assert_eq!(cr["claim_generator"], "evcat-test-generator 1.0");
    assert_eq!(cr["actions"][0], "c2pa.created by Image Model 3");
    assert_eq!(cr["ai_generated"][0], "trainedAlgorithmicMedia");

    let f2 = c.json(&["show", "F2"]);
    let cr = &f2["file"]["c2pa"];
    assert_eq!(cr["status"], "invalid", "{cr}");
    let codes: Vec<&str> = cr["codes"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(codes.iter().any(|c| c.contains("dataHash.mismatch")), "{codes:?}");

    let text = c.ok(&["show", "F2"]);
    assert!(text.contains("Content Credentials (C2PA): invalid"), "{text}");
    let out = c.work("report.html");
    c.json(&["export", "report", s(&out), "--all"]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("Content Credentials (C2PA)") && html.contains("trainedAlgorithmicMedia"),
        "report lacks C2PA"
    );
    let plain = c.json(&["probe", "--no-hash", s(&c.work("plain.jpg"))]);
    assert!(plain[0]["facts"]["c2pa"].is_null(), "no manifest, no C2PA record");
    assert_eq!(c.json(&["audit"])["clean"], true);
}
