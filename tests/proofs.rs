//! The Merkle tree over the log: heads with roots, inclusion and consistency
//! proofs verified offline by `evcat verify-proof` and by the independent
//! `tools/verify_chain.py`, and what tampering does to them.

mod common;

use common::{s, Cat};
use serde_json::Value;

fn head(c: &Cat) -> String {
    c.json(&["log", "--head"])["head"].as_str().unwrap().to_string()
}

/// A catalog with `n` notes on one evidence item.
fn with_notes(n: usize) -> Cat {
    let c = Cat::new();
    c.ok(&["evidence", "add", "--kind", "web", "--url", "https://example.org/1"]);
    for i in 0..n {
        c.ok(&["custody", "note", "E1", &format!("note {i}")]);
    }
    c
}

fn python(args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py"))
        .args(args)
        .output()
        .expect("python3 not found on PATH: run `bash .ci/install-test-deps`");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn save(c: &Cat, name: &str, v: &Value) -> String {
    let p = c.write(name, serde_json::to_string_pretty(v).unwrap().as_bytes());
    s(&p).to_string()
}

#[test]
fn heads_carry_a_tree_root_and_old_heads_stay_accepted() {
    let c = with_notes(4);
    let h = head(&c);
    let parts: Vec<&str> = h.split(':').collect();
    assert_eq!(parts.len(), 3, "{h}");
    assert_eq!(parts[0], "7");
    let old = format!("{}:{}", parts[0], parts[1]);
    // The old form is accepted by audit and completed by `log --head H`.
    assert_eq!(c.json(&["audit", "--no-record", "--head", &old])["clean"], true);
    assert_eq!(c.json(&["log", "--head", &old])["head"], h.as_str());
    assert_eq!(c.json(&["audit", "--no-record", "--head", &h])["clean"], true);
    // The audit prints the head it verified, with the root it recomputed.
    assert_eq!(c.json(&["audit", "--no-record"])["head"], h.as_str());
    // A head with a root that is not this tree's is refused by audit, named.
    let wrong = format!("{old}:{}", "00".repeat(32));
    let out = c.cmd().args(["--json", "audit", "--no-record", "--head", &wrong]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["problems"].as_array().unwrap().iter().any(|p| p["kind"] == "root-mismatch"), "{v:#}");
    let (_, err) = c.fails(&["log", "--head", &wrong], 2);
    assert!(err.contains("is not a head of this log"), "{err}");
}

#[test]
fn every_event_has_an_inclusion_proof_both_verifiers_accept() {
    let c = with_notes(9);
    let h = head(&c);
    let (code, out) = python(&[s(&c.dir), "--head", &h]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("head {h}")), "the Python tree root equals evcat's: {out}");
    for seq in 1..=12 {
        let p = c.json(&["log", "--proof", &seq.to_string()]);
        assert_eq!(p["proof"], "inclusion");
        assert_eq!(p["head"], h.as_str());
        let f = save(&c, &format!("p{seq}.json"), &p);
        let v = c.json(&["verify-proof", &f, "--head", &h]);
        assert_eq!(v["valid"], true, "{v:#}");
        let (code, out) = python(&["--proof", &f, "--head", &h]);
        assert_eq!(code, Some(0), "event {seq}: {out}");
    }
    // Against an earlier head, given in the old form too.
    let old = c.json(&["log", "--since", "4", "--limit", "1"])[0].clone();
    let h5 = format!("5:{}", old["hash"].as_str().unwrap());
    let p = c.json(&["log", "--proof", "3", "--head", &h5]);
    assert!(p["head"].as_str().unwrap().starts_with(&h5), "{p:#}");
    let f = save(&c, "p3-at-5.json", &p);
    assert_eq!(c.json(&["verify-proof", &f, "--head", &h5])["valid"], true);
    c.fails(&["log", "--proof", "6", "--head", &h5], 2);
    c.fails(&["log", "--proof", "0"], 2);
}

#[test]
fn consistency_proofs_show_the_log_only_grew() {
    let c = with_notes(3);
    let h1 = head(&c);
    for i in 0..7 {
        c.ok(&["custody", "note", "E1", &format!("later {i}")]);
    }
    let h2 = head(&c);
    let p = c.json(&["log", "--consistency", &h1, &h2]);
    assert_eq!(p["proof"], "consistency");
    let f = save(&c, "c.json", &p);
    assert_eq!(c.json(&["verify-proof", &f, "--head", &h1])["valid"], true);
    let (code, out) = python(&["--proof", &f, "--head", &h1]);
    assert_eq!(code, Some(0), "{out}");
    c.fails(&["log", "--consistency", &h2, &h1], 2);
}

#[test]
fn tampered_proofs_fail_and_name_the_problem() {
    let c = with_notes(5);
    let h = head(&c);
    let p = c.json(&["log", "--proof", "3"]);
    let mut edited = p.clone();
    edited["event"]["actor"] = "mallory".into();
    let f = save(&c, "edited.json", &edited);
    let out = c.cmd().args(["--json", "verify-proof", &f]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["problem"].as_str().unwrap().contains("does not hash"), "{v:#}");
    assert_eq!(python(&["--proof", &f]).0, Some(1));

    let mut bent = p.clone();
    let first = bent["path"][0].as_str().unwrap().to_string();
    bent["path"][0] = format!("{}{}", if first.starts_with('0') { "1" } else { "0" }, &first[1..]).into();
    let f = save(&c, "bent.json", &bent);
    let (_, err) = c.fails(&["verify-proof", &f], 1);
    assert!(err.is_empty(), "{err}");
    assert_eq!(python(&["--proof", &f]).0, Some(1));

    // A valid proof, but not about the head the verifier trusts.
    c.ok(&["custody", "note", "E1", "one more"]);
    let later = c.json(&["log", "--proof", "3"]);
    let f = save(&c, "later.json", &later);
    let out = c.cmd().args(["--json", "verify-proof", &f, "--head", &h]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["problem"].as_str().unwrap().contains("not the head you trust"), "{v:#}");
    let (_, err) = c.fails(&["verify-proof", s(&c.write("junk.json", b"{\"proof\": 1}"))], 2);
    assert!(err.contains("not a proof document"), "{err}");
}

/// Re-seal every event from `from` on with the catalog's own key after
/// changing event `from`: the insider's rewrite, a valid chain on its own.
fn reseal_from(c: &Cat, from: u64) {
    use evcat::custody::{seal, Keypair};
    let key = Keypair::load(&c.dir.join("keys/tester.key")).unwrap();
    let events = {
        let cat = evcat::Catalog::open(&c.dir, evcat::ActorOptions::default()).unwrap();
        evcat::catalog::log::entries(&cat, 0, None).unwrap()
    };
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS custody_event_no_update").unwrap();
    let mut prev = [0u8; 32];
    for sealed in events {
        if sealed.event.seq < from {
            prev = sealed.hash;
            continue;
        }
        let mut e = sealed.event;
        if e.seq == from {
            e.reason = Some("forged".into());
        }
        e.prev_hash = prev;
        let s = seal(e, &key).unwrap();
        conn.execute(
            "UPDATE custody_event SET reason = ?1, prev_hash = ?2, hash = ?3, signature = ?4 WHERE seq = ?5",
            rusqlite::params![
                s.event.reason,
                hex::encode(prev),
                hex::encode(s.hash),
                hex::encode(s.signature),
                s.event.seq as i64
            ],
        )
        .unwrap();
        prev = s.hash;
    }
}

/// The tampering case: a changed event breaks its inclusion proof
/// against the published head and every later consistency proof from it.
#[test]
fn a_changed_event_breaks_its_proof_and_every_later_consistency_proof() {
    use evcat::custody::tree;
    use evcat::custody::{ConsistencyProof, Head, InclusionProof};
    let c = with_notes(6);
    let published: Head = head(&c).parse().unwrap();
    for i in 0..4 {
        c.ok(&["custody", "note", "E1", &format!("after publishing {i}")]);
    }
    reseal_from(&c, 4);
    assert!(c.json(&["audit", "--no-record"])["clean"] == true, "the re-sealed chain verifies on its own");
    let v = c.cmd().args(["--json", "audit", "--no-record", "--head", &published.to_string()]).output().unwrap();
    assert_eq!(v.status.code(), Some(1), "the published head catches it");

    // The rewritten log, as the insider would prove from it.
    let events: Vec<Value> = c.json(&["log"]).as_array().unwrap().clone();
    let hash_of = |e: &Value| {
        let mut h = [0u8; 32];
        hex::decode_to_slice(e["hash"].as_str().unwrap(), &mut h).unwrap();
        h
    };
    let mut leaves: Vec<[u8; 32]> = events.iter().map(|e| tree::leaf_hash(&hash_of(e))).collect();
    let forged = &events[3];
    let path = tree::inclusion_path(&mut leaves[..], 3, published.seq).unwrap();
    let p = InclusionProof { head: published, seq: 4, event_hash: hash_of(forged), path, event: None };
    assert!(p.verify().is_err(), "the changed event is not in the published tree");
    for size in published.seq + 1..=leaves.len() as u64 {
        let second = Head {
            seq: size,
            hash: hash_of(&events[size as usize - 1]),
            root: Some(tree::root_of(&leaves[..size as usize])),
        };
        let path = tree::consistency_path(&mut leaves[..], published.seq, size).unwrap();
        let cp = ConsistencyProof { first: published, second, path };
        assert!(cp.verify().is_err(), "consistency {} -> {size}", published.seq);
    }
    // And evcat refuses to prove from a head its log no longer holds.
    let now = head(&c);
    let (_, err) = c.fails(&["log", "--consistency", &published.to_string(), &now], 2);
    assert!(err.contains("is not a head of this log"), "{err}");
}

#[test]
fn a_tampered_stored_tree_node_is_named_by_audit() {
    let c = Cat::new();
    // 300 events: one stored block of 256.
    let cat_dir = c.dir.clone();
    {
        let mut cat = evcat::Catalog::open(&cat_dir, evcat::ActorOptions::default()).unwrap();
        cat.write(|w| {
            for i in 0..300 {
                w.append(
                    evcat::catalog::Subject::Catalog,
                    evcat::custody::Action::Note,
                    None,
                    serde_json::json!({ "i": i }),
                )?;
            }
            Ok(())
        })
        .unwrap();
    }
    let h = head(&c);
    assert_eq!(c.json(&["audit", "--no-record", "--head", &h])["clean"], true);
    let p = c.json(&["log", "--proof", "17"]);
    assert_eq!(c.json(&["verify-proof", &save(&c, "p.json", &p)])["valid"], true);
    c.sql("UPDATE custody_tree SET hash = zeroblob(32) WHERE level = 8 AND idx = 0");
    let out = c.cmd().args(["--json", "audit", "--no-record"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pr = &v["problems"][0];
    assert_eq!((pr["check"].as_str(), pr["kind"].as_str()), (Some("tree"), Some("node-mismatch")), "{v:#}");
    assert!(pr["record"].as_str().unwrap().contains("events #1..#256"), "{pr:#}");
    // The head printed from the tampered table no longer verifies its proofs.
    let bad = c.json(&["log", "--proof", "17"]);
    assert_ne!(bad["head"], h.as_str());
    assert_eq!(python(&[s(&c.dir), "--head", &h]).0, Some(0), "the events themselves are untouched");
}
