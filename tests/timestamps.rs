//! Trusted time: RFC 3161 tokens from a local TSA (openssl ts -reply on
//! 127.0.0.1), verified offline by audit against a trust store; a token for
//! another head, an expired or untrusted TSA certificate, each named;
//! OpenTimestamps proofs parsed and reported.

mod common;

use common::tsa::{make_pki, pki, Mode, Tsa};
use common::{media, s, Cat};
use serde_json::Value;

fn head(c: &Cat) -> String {
    c.json(&["log", "--head"])["head"].as_str().unwrap().to_string()
}

fn audit(c: &Cat, extra: &[&str]) -> (i32, Value) {
    let out = c.cmd().args(["--json", "audit", "--no-record"]).args(extra).output().unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

fn kinds(v: &Value) -> Vec<String> {
    v["problems"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap().to_string()).collect()
}

/// tools/verify_chain.py on the catalog: (exit code, output).
fn python(c: &Cat, extra: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py"))
        .arg(&c.dir)
        .args(extra)
        .output()
        .expect("python3 not found on PATH: run `bash .ci/install-test-deps`");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn catalog_with_a_file() -> Cat {
    let c = Cat::new();
    let f = c.write("clip.bin", &media::random_bytes(5000, 7));
    c.ok(&["add", s(&f)]);
    c
}

#[test]
fn a_head_stamped_by_a_trusted_tsa_audits_with_its_attested_time() {
    for keytype in ["rsa", "ec"] {
        let c = catalog_with_a_file();
        let pkid = c.tmp.path().join("pki");
        make_pki(&pkid, keytype);
        let tsa = Tsa::start(&pkid, "tsa", Mode::Honest);
        let h = head(&c);
        let st = c.json(&["log", "--timestamp", "--tsa", &tsa.url]);
        assert_eq!(st["stamped"], format!("head {h}"), "{st:#}");
        assert!(st["signer"].as_str().unwrap().contains("evcat test TSA"), "{st:#}");
        let trust = pki(&pkid, "root.pem");
        let (code, v) = audit(&c, &["--tsa-trust", s(&trust)]);
        assert_eq!(code, 0, "{keytype}: {v:#}");
        let t = &v["timestamps"][0];
        assert_eq!(t["chain_checked"], true);
        assert_eq!(t["attested"], st["attested"]);
        assert!(t["attested"].as_str().unwrap().ends_with('Z'));
        // Without a trust store: imprint and signature only, and it says so.
        let (code, v) = audit(&c, &[]);
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(v["timestamps"][0]["chain_checked"], false);
        let text = c.ok(&["audit", "--no-record"]);
        assert!(text.contains("TSA chain not checked (no --tsa-trust)"), "{text}");

        // The stored token is a real RFC 3161 token: openssl verifies it too,
        // for the statement evcat writes.
        let stmt = c.work("head.stmt");
        c.ok(&["log", "--statement", s(&stmt), "--head", &h]);
        let log = c.json(&["log"]);
        let ev = log.as_array().unwrap().iter().rev().find(|e| e["action"] == "timestamped").unwrap();
        let der = hex::decode(ev["details"]["token"].as_str().unwrap()).unwrap();
        let tok = c.write("token.der", &der);
        let out = std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-in", s(&tok), "-data", s(&stmt), "-CAfile", s(&trust)])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl ts -verify: {}", String::from_utf8_lossy(&out.stderr));
        // And the independent verifier checks the imprint, and the signature with openssl.
        let (code, out) = python(&c, &["--tsa-trust", s(&trust)]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("time-stamps: 1 checked (signatures with openssl)"), "{out}");
    }
}

#[test]
fn expired_and_untrusted_tsa_certificates_are_named() {
    let c = catalog_with_a_file();
    let pkid = c.tmp.path().join("pki");
    make_pki(&pkid, "rsa");
    let trust = pki(&pkid, "root.pem");
    for (signer, kind) in [("expired", "tsa-certificate-expired"), ("rogue", "untrusted-tsa")] {
        let tsa = Tsa::start(&pkid, signer, Mode::Honest);
        c.json(&["log", "--timestamp", "--tsa", &tsa.url]);
        let (code, v) = audit(&c, &["--tsa-trust", s(&trust)]);
        assert_eq!(code, 1, "{v:#}");
        assert!(kinds(&v).contains(&kind.to_string()), "{signer}: {v:#}");
        let p = v["problems"].as_array().unwrap().iter().find(|p| p["kind"] == kind).unwrap();
        assert_eq!(p["check"], "timestamp");
        assert!(
            p["message"].as_str().unwrap().contains(if signer == "expired" { "2020" } else { "rogue TSA" }),
            "{p:#}"
        );
    }
    // The rogue's own root makes it trusted; the expired one stays expired.
    let (code, out) = python(&c, &["--tsa-trust", s(&trust)]);
    assert_eq!(code, Some(1), "openssl rejects them too: {out}");
    let (_, v) = audit(&c, &["--tsa-trust", s(&pki(&pkid, "other-root.pem"))]);
    assert!(kinds(&v).contains(&"untrusted-tsa".to_string()), "the first TSA is not under that root: {v:#}");
    let (_, err) = c.fails(&["audit", "--tsa-trust", s(&c.write("junk.pem", b"not pem"))], 2);
    assert!(err.contains("junk.pem"), "{err}");
}

#[test]
fn a_token_for_another_head_is_refused_and_named() {
    let c = catalog_with_a_file();
    let pkid = c.tmp.path().join("pki");
    make_pki(&pkid, "rsa");
    // At request time: the TSA answers for another imprint; nothing is stored.
    let foreign = Tsa::start(&pkid, "tsa", Mode::Foreign);
    let before = head(&c);
    let (_, err) = c.fails(&["log", "--timestamp", "--tsa", &foreign.url], 2);
    assert!(err.contains("token for something else") || err.contains("imprint"), "{err}");
    assert_eq!(head(&c), before);
    // In the log: a genuine token of head H1 moved onto an event claiming H2.
    let tsa = Tsa::start(&pkid, "tsa", Mode::Honest);
    c.json(&["log", "--timestamp", "--tsa", &tsa.url]);
    let token = {
        let log = c.json(&["log"]);
        log.as_array().unwrap().last().unwrap()["details"]["token"].as_str().unwrap().to_string()
    };
    let h2: evcat::custody::Head = head(&c).parse().unwrap();
    {
        let mut cat = evcat::Catalog::open(&c.dir, evcat::ActorOptions::default()).unwrap();
        let what = evcat::timestamp::record::Stamped::Head(h2);
        let details = evcat::timestamp::record::rfc3161_details(
            &what,
            &tsa.url,
            &hex::decode(&token).unwrap(),
            "2026-01-01T00:00:00Z",
        );
        cat.write(|w| w.append(evcat::catalog::Subject::Catalog, evcat::custody::Action::Timestamped, None, details))
            .unwrap();
    }
    let (code, v) = audit(&c, &["--tsa-trust", s(&pki(&pkid, "root.pem"))]);
    assert_eq!(code, 1);
    assert_eq!(kinds(&v), ["token-for-another-head"], "{v:#}");
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("token for something else"), "{v:#}");
    let (code, out) = python(&c, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the time-stamp is for another imprint"), "{out}");
}

#[test]
fn a_file_is_stamped_by_its_sha256() {
    let c = catalog_with_a_file();
    let pkid = c.tmp.path().join("pki");
    make_pki(&pkid, "rsa");
    let tsa = Tsa::start(&pkid, "tsa", Mode::Honest);
    let st = c.json(&["file", "timestamp", "F1", "--tsa", &tsa.url]);
    let sha = c.json(&["show", "F1"])["file"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(st["imprint"], sha.as_str());
    let timeline = c.json(&["custody", "F1"]);
    assert_eq!(timeline.as_array().unwrap().last().unwrap()["action"], "timestamped");
    let (code, v) = audit(&c, &["--tsa-trust", s(&pki(&pkid, "root.pem"))]);
    assert_eq!(code, 0, "{v:#}");
    assert!(v["timestamps"][0]["stamped"].as_str().unwrap().starts_with("F1"), "{v:#}");
    // The file's row changed behind evcat's back: the stamp no longer matches.
    c.sql(&format!("UPDATE file SET sha256 = '{}' WHERE id = 1", "00".repeat(32)));
    let (_, v) = audit(&c, &["--log-only"]);
    assert!(kinds(&v).contains(&"not-this-log".to_string()), "{v:#}");
    let (_, err) = c.fails(&["file", "timestamp", "E1", "--tsa", &tsa.url], 2);
    assert!(err.contains("time-stamps are for files"), "{err}");
    let (_, err) = c.fails(&["file", "timestamp", "F1", "--tsa", "https://tsa.example/"], 2);
    assert!(err.contains("https:// is not supported"), "{err}");
}

/// An OpenTimestamps proof, serialised as python-opentimestamps does.
fn ots(digest: &[u8], bitcoin_height: Option<u32>) -> Vec<u8> {
    let mut b = b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94\x01\x08".to_vec();
    b.extend_from_slice(digest);
    let uri = b"https://alice.btc.calendar.opentimestamps.org";
    let pending =
        [&[0x00, 0x83, 0xdf, 0xe3, 0x0d, 0x2e, 0xf9, 0x0c, 0x8e, uri.len() as u8 + 1, uri.len() as u8][..], uri]
            .concat();
    match bitcoin_height {
        None => b.extend_from_slice(&pending),
        Some(h) => {
            b.push(0xff);
            b.extend_from_slice(&pending);
            let mut height = Vec::new();
            let mut v = h;
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    height.push(byte);
                    break;
                }
                height.push(byte | 0x80);
            }
            b.extend_from_slice(&[0x08, 0x00, 0x05, 0x88, 0x96, 0x0d, 0x73, 0xd7, 0x19, 0x01, height.len() as u8]);
            b.extend_from_slice(&height);
        }
    }
    b
}

#[test]
fn opentimestamps_proofs_are_stored_and_reported() {
    let c = catalog_with_a_file();
    let stmt = c.work("head.stmt");
    c.ok(&["log", "--statement", s(&stmt)]);
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(&stmt).unwrap()).to_vec()
    };
    let f = c.write("head.ots", &ots(&digest, Some(880_123)));
    let st = c.json(&["log", "--ots", s(&f)]);
    assert_eq!(st["attested"], "attested in bitcoin block 880123", "{st:#}");
    let sha = hex::decode(c.json(&["show", "F1"])["file"]["sha256"].as_str().unwrap()).unwrap();
    let pf = c.write("f.ots", &ots(&sha, None));
    assert_eq!(c.json(&["file", "timestamp", "F1", "--ots", s(&pf)])["attested"], "pending");
    let (code, v) = audit(&c, &[]);
    assert_eq!(code, 0, "{v:#}");
    let att: Vec<&str> = v["timestamps"].as_array().unwrap().iter().map(|t| t["attested"].as_str().unwrap()).collect();
    assert_eq!(att, ["attested in bitcoin block 880123", "pending"]);
    // A proof of something else is refused; so is garbage.
    let other = c.write("other.ots", &ots(&[7u8; 32], None));
    let (_, err) = c.fails(&["log", "--ots", s(&other)], 2);
    assert!(err.contains("evcat log --statement"), "{err}");
    let junk = c.write("junk.ots", b"\x00OpenTimestamps\x00\x00Proof\x00garbage");
    c.fails(&["file", "timestamp", "F1", "--ots", s(&junk)], 2);
}

/// A claim-scoped bag carries the head time-stamps and a consistency proof
/// from each stamped head to its own: the receiver dates the events it holds
/// without the source catalog.
#[test]
fn a_partial_bag_carries_head_timestamps_proven_against_its_head() {
    let c = catalog_with_a_file();
    c.ok(&["evidence", "add", "--kind", "web", "--url", "https://example.org/other"]);
    let pkid = c.tmp.path().join("pki");
    make_pki(&pkid, "rsa");
    let tsa = Tsa::start(&pkid, "tsa", Mode::Honest);
    let stamped = head(&c);
    c.json(&["log", "--timestamp", "--tsa", &tsa.url]);
    c.ok(&["custody", "note", "E2", "later, about another record"]);
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--evidence", "E1"]);
    let trust = pki(&pkid, "root.pem");
    let v = c.json(&["import", "bag", "--verify-only", "--tsa-trust", s(&trust), s(&bag)]);
    assert_eq!(v["valid"], true, "{v:#}");
    assert_eq!(v["consistent_heads"][0], stamped.as_str(), "{v:#}");
    assert_eq!(v["timestamps"][0]["stamped"], format!("head {stamped}"));
    assert_eq!(v["timestamps"][0]["chain_checked"], true);
    assert!(v["withheld_events"].as_u64().unwrap() > 0, "{v:#}");
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py"))
        .arg(bag.join("data/custody/custody.sqlite"))
        .args(["--tsa-trust", s(&trust)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("time-stamps: 1 checked (signatures with openssl)"), "{text}");
    assert!(text.contains("events withheld"), "the proofs hold: {text}");
    assert!(!text.contains("another imprint") && !text.contains("not a head of this log"), "{text}");
    // An untrusting receiver refuses the import.
    let d = Cat::new();
    let (out, _) = d.fails(&["import", "bag", "--tsa-trust", s(&pki(&pkid, "other-root.pem")), s(&bag)], 1);
    assert!(out.contains("untrusted-tsa"), "{out}");
}

/// A file's time-stamp travels with the file in a scoped bag, and the
/// receiver verifies it offline against the file's SHA-256 in the bag.
#[test]
fn a_file_timestamp_is_exported_in_a_bag_and_verified_on_import() {
    let c = catalog_with_a_file();
    let pkid = c.tmp.path().join("pki");
    make_pki(&pkid, "rsa");
    let tsa = Tsa::start(&pkid, "tsa", Mode::Honest);
    let st = c.json(&["file", "timestamp", "F1", "--tsa", &tsa.url]);
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--evidence", "E1"]);
    let trust = pki(&pkid, "root.pem");
    let v = c.json(&["import", "bag", "--verify-only", "--tsa-trust", s(&trust), s(&bag)]);
    assert_eq!(v["valid"], true, "{v:#}");
    let t = v["timestamps"].as_array().unwrap().iter().find(|t| t["stamped"].as_str().unwrap().starts_with("F1"));
    let t = t.unwrap_or_else(|| panic!("no file stamp in the bag's report: {v:#}"));
    assert_eq!(t["attested"], st["attested"], "{v:#}");
    assert_eq!(t["chain_checked"], true, "{v:#}");
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py"))
        .arg(bag.join("data/custody/custody.sqlite"))
        .args(["--tsa-trust", s(&trust)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("time-stamps: 1 checked (signatures with openssl)"), "{text}");
    assert!(!text.contains("another imprint"), "{text}");
    let d = Cat::new();
    let (out, _) = d.fails(&["import", "bag", "--tsa-trust", s(&pki(&pkid, "other-root.pem")), s(&bag)], 1);
    assert!(out.contains("untrusted-tsa"), "{out}");
}
