//! Key rotation, revocation with roles, and witnessed heads.

mod common;

use common::{s, Cat};
use serde_json::Value;

fn head(c: &Cat) -> String {
    c.json(&["log", "--head"])["head"].as_str().unwrap().to_string()
}

fn last_seq(c: &Cat) -> u64 {
    head(c).split(':').next().unwrap().parse().unwrap()
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

fn python(c: &Cat) -> (Option<i32>, String) {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py"))
        .arg(&c.dir)
        .output()
        .expect("python3 not found on PATH: run `bash .ci/install-test-deps`");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_rotated_key_signs_on_and_the_old_one_signs_nothing_more() {
    let c = Cat::new();
    c.ok(&["evidence", "add", "--kind", "web"]);
    let old_key = c.dir.join("keys/tester.key");
    let kept = c.tmp.path().join("old.key");
    std::fs::copy(&old_key, &kept).unwrap();
    let r = c.json(&["actor", "rotate", "tester"]);
    assert_ne!(r["old_key_id"], r["new_key_id"]);
    assert!(c.dir.join(format!("keys/tester.{}.retired", r["old_key_id"].as_str().unwrap())).exists());
    let log = c.json(&["log"]);
    let rot = log.as_array().unwrap().last().unwrap();
    assert_eq!(rot["action"], "key-rotated");
    assert_eq!(rot["key_id"], r["old_key_id"], "the rotation is signed by the old key");
    c.ok(&["custody", "note", "E1", "after the rotation"]);
    let log = c.json(&["log"]);
    assert_eq!(log.as_array().unwrap().last().unwrap()["key_id"], r["new_key_id"]);
    let (code, v) = audit(&c, &[]);
    assert_eq!(code, 0, "earlier events verify with the old key: {v:#}");
    let (code, out) = python(&c);
    assert_eq!(code, Some(0), "{out}");
    // The old key file is refused for signing.
    let (_, err) = c.fails(&["--key-file", s(&kept), "custody", "note", "E1", "x"], 2);
    assert!(err.contains("does not belong"), "{err}");
    // Rotating someone else's key is refused, naming the way.
    c.ok(&["actor", "add", "editor", "--role", "editor"]);
    let out = c.cmd().args(["--actor", "editor", "actor", "rotate", "tester"]).output().unwrap();
    assert!(out.status.success(), "rotate acts as NAME itself: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(audit(&c, &[]).0, 0);
}

/// Insert a `key-rotated` event of `tester` signed by `signer`'s key, and
/// change the actor row to match (an attacker with one key and the database).
fn forge_rotation(c: &Cat, signer: &str) {
    use evcat::custody::{seal, Event, Keypair};
    let key = Keypair::load(&c.dir.join(format!("keys/{signer}.key"))).unwrap();
    let new = Keypair::from_seed([9; 32]);
    let (seq, prev, old_pk, old_id) = {
        let cat = evcat::Catalog::open(&c.dir, evcat::ActorOptions::default()).unwrap();
        let h = evcat::catalog::log::head(&cat).unwrap().unwrap();
        let a = evcat::catalog::actors::by_name(&cat, "tester").unwrap().unwrap();
        (h.seq + 1, h.hash, a.public_key, a.key_id)
    };
    let details = serde_json::json!({
        "changes": {
            "public_key": {"before": old_pk, "after": new.public_hex()},
            "key_id": {"before": old_id, "after": new.key_id()},
        },
        "new_key_proof": "00".repeat(64),
    });
    let e = Event {
        seq,
        subject_type: "actor".into(),
        subject_id: Some(1),
        action: "key-rotated".into(),
        actor: "tester".into(),
        at: "2026-03-14T05:06:07.000000Z".into(),
        host: "elsewhere".into(),
        location: None,
        reason: None,
        details,
        prev_hash: prev,
    };
    let sealed = seal(e, &key).unwrap();
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    conn.execute(
        "INSERT INTO custody_event(seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash, hash, key_id, signature)
         VALUES (?1, 'actor', 1, 'key-rotated', 'tester', ?2, 'elsewhere', NULL, NULL, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            seq as i64,
            sealed.event.at,
            evcat::custody::canonical_json(&sealed.event.details).unwrap(),
            hex::encode(prev),
            hex::encode(sealed.hash),
            sealed.key_id,
            hex::encode(sealed.signature)
        ],
    )
    .unwrap();
    conn.execute("UPDATE actor SET public_key = ?1, key_id = ?2 WHERE id = 1", [new.public_hex(), new.key_id()])
        .unwrap();
}

#[test]
fn a_rotation_not_signed_by_the_old_key_is_named() {
    let c = Cat::new();
    c.ok(&["actor", "add", "mallory"]);
    forge_rotation(&c, "mallory");
    let (code, v) = audit(&c, &["--log-only"]);
    assert_eq!(code, 1);
    assert!(kinds(&v).contains(&"rotation-not-signed-by-old-key".to_string()), "{v:#}");
    assert!(kinds(&v).contains(&"key-of-another-actor".to_string()), "mallory signed as tester: {v:#}");
    let (code, out) = python(&c);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not signed by the old key"), "{out}");
}

#[test]
fn a_revoked_key_fails_audit_after_its_seq_with_the_reason() {
    let c = Cat::new();
    c.ok(&["actor", "add", "editor", "--role", "editor"]);
    c.ok(&["actor", "add", "clerk", "--role", "archivist"]);
    c.ok(&["evidence", "add", "--kind", "web"]);
    let trusted = last_seq(&c);
    c.ok(&["custody", "note", "E1", "written with the stolen key"]);
    let bad = last_seq(&c);
    // Who may revoke: not an archivist, not the key's own holder.
    let (_, err) =
        c.fails(&["--actor", "clerk", "actor", "revoke", "tester", "--from", &trusted.to_string(), "--reason", "x"], 2);
    assert!(err.contains("may not revoke keys"), "{err}");
    let (_, err) = c.fails(&["--actor", "editor", "actor", "revoke", "editor", "--from", "1", "--reason", "x"], 2);
    assert!(err.contains("cannot revoke their own key"), "{err}");
    let r = c.json(&[
        "--actor",
        "editor",
        "actor",
        "revoke",
        "tester",
        "--from",
        &trusted.to_string(),
        "--reason",
        "laptop stolen",
    ]);
    assert_eq!(r["from_seq"], trusted);
    let (code, v) = audit(&c, &["--log-only"]);
    assert_eq!(code, 1);
    let p = v["problems"].as_array().unwrap();
    assert_eq!(p.len(), 1, "only the event after #{trusted}: {v:#}");
    assert_eq!((p[0]["check"].as_str(), p[0]["kind"].as_str()), (Some("key"), Some("revoked-key")));
    assert_eq!(p[0]["record"], format!("event #{bad}"));
    assert!(p[0]["message"].as_str().unwrap().contains("laptop stolen"), "{v:#}");
    // The revoked key signs nothing more.
    let (_, err) = c.fails(&["custody", "note", "E1", "more"], 2);
    assert!(err.contains("revoked") && err.contains("laptop stolen"), "{err}");
    let (code, out) = python(&c);
    assert_eq!(code, Some(1));
    assert!(out.contains(&format!("event #{bad}: signed by key")) && out.contains("laptop stolen"), "{out}");
}

#[test]
fn heads_are_accepted_only_with_the_witnesses_asked_for() {
    let c = Cat::new();
    c.ok(&["actor", "add", "editor", "--role", "editor"]);
    c.ok(&["evidence", "add", "--kind", "web"]);
    let h = head(&c);
    // The editor's laptop: their own key file.
    let laptop_key = c.tmp.path().join("editor.key");
    std::fs::rename(c.dir.join("keys/editor.key"), &laptop_key).unwrap();
    let w = c.json(&["--actor", "editor", "--key-file", s(&laptop_key), "log", "--witness"]);
    assert_eq!(w["head"], h.as_str());
    assert_eq!(w["witness"], "editor");
    let (code, v) = audit(&c, &["--head", &h, "--require-witness", "editor"]);
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = audit(&c, &["--head", &h, "--require-witness", "editor", "--require-witness", "tester"]);
    assert_eq!(code, 1);
    assert_eq!(kinds(&v), ["witness-missing"], "{v:#}");
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("tester has not witnessed head"), "{v:#}");
    // A witness of one head is not a witness of another.
    let later = head(&c);
    let (_, v) = audit(&c, &["--head", &later, "--require-witness", "editor"]);
    assert_eq!(kinds(&v), ["witness-missing"], "{v:#}");
    // The old form of the head is accepted too.
    let old = h.rsplit_once(':').unwrap().0.to_string();
    assert_eq!(audit(&c, &["--head", &old, "--require-witness", "editor"]).0, 0);
    c.fails(&["audit", "--require-witness", "editor"], 2);
}

#[test]
fn a_bag_verifies_events_signed_before_a_rotation() {
    let c = Cat::new();
    c.ok(&["evidence", "add", "--kind", "web", "--url", "https://example.org/a"]);
    c.ok(&["actor", "rotate", "tester"]);
    c.ok(&["evidence", "edit", "E1", "--title", "after the rotation"]);
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--evidence", "E1"]);
    let v = c.json(&["import", "bag", "--verify-only", s(&bag)]);
    assert_eq!(v["valid"], true, "{v:#}");
    let d = Cat::new();
    assert_eq!(d.json(&["import", "bag", s(&bag)])["check"]["valid"], true);
}
