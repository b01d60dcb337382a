//! Custody chain and audit: each tampering is made here, then audit must name it.

mod common;

use common::{media, registered, s, Cat};
use serde_json::Value;

/// A catalog with two files, an article, a link and an edit.
fn populated() -> (Cat, Vec<String>) {
    let c = Cat::new();
    let a = c.write("a.jpg", &media::jpeg_bytes(64, 64, 1));
    let b = c.write("b.bin", &media::random_bytes(10_000, 2));
    let r = c.json(&["add", s(&a), s(&b), "--platform", "x", "--url", "https://x.com/p/1"]);
    let shas = registered(&r).iter().map(|i| i["sha256"].as_str().unwrap().to_string()).collect();
    c.ok(&["evidence", "edit", "E1", "--title", "Officer selfie"]);
    c.json(&["claim", "add", "--text", "An officer posed for a selfie."]);
    c.ok(&["link", "C1", "E1", "--relation", "depicts"]);
    (c, shas)
}

fn audit_problems(c: &Cat) -> Vec<Value> {
    let out = c.cmd().args(["--json", "audit"]).output().unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let problems = v["problems"].as_array().unwrap().clone();
    assert_eq!(out.status.code(), Some(if problems.is_empty() { 0 } else { 1 }), "{v:#}");
    problems
}

fn has(problems: &[Value], check: &str, record: &str) -> bool {
    problems.iter().any(|p| p["check"] == check && p["record"].as_str().unwrap_or("").contains(record))
}

#[test]
fn clean_catalog_audits_clean_and_records_it() {
    let (c, _) = populated();
    let r = c.json(&["audit"]);
    assert_eq!(r["clean"], true, "{r:#}");
    assert_eq!(r["checked"]["objects"], 2);
    let seq = r["recorded_as"].as_u64().unwrap();
    let log = c.json(&["log", "--since", &(seq - 1).to_string()]);
    assert_eq!(log[0]["action"], "verified");
    // A second audit also covers the `verified` event.
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn flipped_byte_in_object_is_named() {
    let (c, shas) = populated();
    let p = c.object_path(&shas[1]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[100] ^= 1;
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::write(&p, bytes).unwrap();
    let pr = audit_problems(&c);
    assert!(has(&pr, "fixity", "F2"), "{pr:#?}");
    let p0 = pr.iter().find(|p| p["record"] == "F2").unwrap();
    assert_eq!(p0["kind"], "hash-mismatch");
    assert_eq!(p0["expected"], shas[1].as_str());
}

#[test]
fn deleted_object_and_stray_object_are_named() {
    let (c, shas) = populated();
    std::fs::remove_file(c.object_path(&shas[0])).unwrap();
    let stray = "ab".repeat(32);
    let sp = c.object_path(&stray);
    std::fs::create_dir_all(sp.parent().unwrap()).unwrap();
    std::fs::write(&sp, b"who put this here").unwrap();
    let pr = audit_problems(&c);
    assert!(pr.iter().any(|p| p["record"] == "F1" && p["kind"] == "missing"), "{pr:#?}");
    assert!(has(&pr, "stray-object", &stray), "{pr:#?}");
}

#[test]
fn row_edited_behind_evcats_back_is_named() {
    let (c, _) = populated();
    c.sql("UPDATE evidence SET source_url = 'https://evil.example/' WHERE id = 1");
    let pr = audit_problems(&c);
    let p = pr.iter().find(|p| p["check"] == "record" && p["record"] == "E1").unwrap_or_else(|| panic!("{pr:#?}"));
    assert!(p["message"].as_str().unwrap().contains("source_url"), "{p:#}");
    assert_eq!(p["found"], "\"https://evil.example/\"");
    assert_eq!(p["expected"], "\"https://x.com/p/1\"");
}

#[test]
fn row_inserted_or_deleted_behind_evcats_back_is_named() {
    let (c, _) = populated();
    c.sql("INSERT INTO evidence(kind, status, created_at) VALUES ('video', 'referenced', '2026-01-01T00:00:00Z')");
    c.sql("PRAGMA foreign_keys=OFF; DELETE FROM link WHERE id = 1");
    let pr = audit_problems(&c);
    assert!(pr.iter().any(|p| p["record"] == "E3" && p["kind"] == "not-in-log"), "{pr:#?}");
    assert!(pr.iter().any(|p| p["record"] == "L1" && p["kind"] == "row-missing"), "{pr:#?}");
}

fn without_guards(c: &Cat, sql: &str) {
    c.sql(&format!(
        "DROP TRIGGER IF EXISTS custody_event_no_update; DROP TRIGGER IF EXISTS custody_event_no_delete; {sql}"
    ));
}

#[test]
fn deleted_event_is_named() {
    let (c, _) = populated();
    without_guards(&c, "DELETE FROM custody_event WHERE seq = 4");
    let pr = audit_problems(&c);
    assert!(has(&pr, "chain", "#5"), "{pr:#?}");
}

#[test]
fn changed_event_field_is_named() {
    let (c, _) = populated();
    without_guards(&c, "UPDATE custody_event SET actor = 'mallory' WHERE seq = 3");
    let pr = audit_problems(&c);
    assert!(has(&pr, "chain", "#3"), "{pr:#?}");
}

#[test]
fn swapped_events_are_named() {
    let (c, _) = populated();
    without_guards(
        &c,
        "UPDATE custody_event SET seq = -1 WHERE seq = 4; UPDATE custody_event SET seq = 4 WHERE seq = 5; UPDATE custody_event SET seq = 5 WHERE seq = -1;",
    );
    let pr = audit_problems(&c);
    assert!(has(&pr, "chain", "#4") || has(&pr, "chain", "#5"), "{pr:#?}");
}

#[test]
fn signature_by_another_key_is_named() {
    let (c, _) = populated();
    // A second actor's valid signature over a different event, pasted onto event 3.
    c.ok(&["actor", "add", "mallory"]);
    let log = c.json(&["log"]);
    let last = log.as_array().unwrap().last().unwrap();
    let sig = last["signature"].as_str().unwrap();
    without_guards(&c, &format!("UPDATE custody_event SET signature = '{sig}' WHERE seq = 3"));
    let pr = audit_problems(&c);
    assert!(
        pr.iter().any(|p| p["record"] == "event #3" && p["kind"].as_str().unwrap().contains("signature")),
        "{pr:#?}"
    );
}

/// Re-seal events `from..` after changing event `from`'s host, exactly as an
/// insider holding the catalog's signing key would: the chain stays valid.
fn reseal_from(c: &Cat, from: i64) {
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
        if (sealed.event.seq as i64) < from {
            prev = sealed.hash;
            continue;
        }
        let mut e = sealed.event;
        if e.seq as i64 == from {
            e.host = "forged-host".to_string();
        }
        e.prev_hash = prev;
        let seq = e.seq as i64;
        let sealed = seal(e, &key).unwrap();
        conn.execute(
            "UPDATE custody_event SET host = ?1, prev_hash = ?2, hash = ?3, signature = ?4 WHERE seq = ?5",
            rusqlite::params![
                sealed.event.host,
                hex::encode(prev),
                hex::encode(sealed.hash),
                hex::encode(sealed.signature),
                seq
            ],
        )
        .unwrap();
        prev = sealed.hash;
    }
}

#[test]
fn rewrite_after_published_head_is_detected() {
    let (c, _) = populated();
    let head = c.json(&["log", "--head"])["head"].as_str().unwrap().to_string();
    assert_eq!(c.json(&["audit", "--no-record", "--head", &head])["clean"], true);

    // A careless rewrite breaks the chain itself.
    without_guards(&c, "UPDATE custody_event SET hash = '00' || substr(hash, 3) WHERE seq = 2");
    assert!(has(&audit_problems(&c), "chain", "#2"));

    // A thorough rewrite, re-signed with the catalog's own key, leaves a valid
    // chain: only the published head can tell.
    reseal_from(&c, 2);
    assert!(audit_problems(&c).is_empty(), "a re-sealed chain verifies on its own");
    let out = c.cmd().args(["--json", "audit", "--no-record", "--head", &head]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pr = v["problems"].as_array().unwrap();
    assert!(pr.iter().any(|p| p["check"] == "checkpoint" && p["kind"] == "rewritten"), "{v:#}");

    // Truncation past the published head.
    let (seq, _) = head.split_once(':').unwrap();
    without_guards(&c, &format!("DELETE FROM custody_event WHERE seq >= {seq}"));
    let out = c.cmd().args(["--json", "audit", "--log-only", "--no-record", "--head", &head]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["problems"].as_array().unwrap().iter().any(|p| p["check"] == "checkpoint" && p["kind"] == "truncated"),
        "{v:#}"
    );
    let (_, err) = c.fails(&["audit", "--head", "12:nothex"], 2);
    assert!(err.contains("12:nothex"), "{err}");
}

#[test]
fn custody_transfer_and_note_are_in_the_timeline() {
    let (c, shas) = populated();
    c.ok(&["custody", "transfer", &shas[0][..10], "--to", "legal desk", "--reason", "review"]);
    c.ok(&["custody", "note", "F1", "sealed copy handed over"]);
    let t = c.json(&["custody", "F1"]);
    let actions: Vec<&str> = t.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["registered", "transferred", "note"]);
    assert_eq!(t[1]["details"]["to"], "legal desk");
    c.fails(&["custody", "transfer", "F1", "--to", "", "--reason", "x"], 2);
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn actors_sign_with_their_own_keys() {
    let c = Cat::new();
    c.ok(&["actor", "add", "editor", "--role", "editor"]);
    let key = c.dir.join("keys/editor.key");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions()) & 0o777, 0o600);
    c.ok(&["--actor", "editor", "evidence", "add", "--kind", "web"]);
    let log = c.json(&["log"]);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["actor"], "editor");
    let actors = c.json(&["actor", "list"]);
    let editor = actors.as_array().unwrap().iter().find(|a| a["name"] == "editor").unwrap();
    assert_eq!(last["key_id"], editor["key_id"]);
    let head = c.json(&["log", "--head"])["head"].clone();
    let (_, err) = c.fails(&["actor", "add", "editor"], 2);
    assert!(err.contains(r#"actor "editor" already exists"#), "{err}");
    let (_, err) = c.fails(&["--actor", "nobody", "evidence", "add", "--kind", "web"], 2);
    assert!(err.contains(r#"actor "nobody""#) && err.contains("evcat actor add nobody"), "{err}");
    // A world-readable key is refused: a catalog (key) problem, naming the
    // file and the fix, and nothing is signed with it.
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let (_, err) = c.fails(&["--actor", "editor", "evidence", "add", "--kind", "web"], 3);
    assert!(err.contains(&format!("chmod 600 {}", key.display())), "{err}");
    assert_eq!(c.json(&["log", "--head"])["head"], head, "refused commands append no event");
    assert_eq!(c.json(&["list", "evidence"]).as_array().map(Vec::len), Some(1), "only the editor's first item");
    assert_eq!(c.json(&["audit"])["clean"], true);
}

/// The Python verifier in tools/ implements ARCHITECTURE.md's spec with no
/// code shared with evcat: it must accept our catalogs and reject tampering.
#[test]
fn independent_python_verifier_agrees() {
    let (c, _) = populated();
    c.ok(&["custody", "note", "E1", "checked by the desk"]);
    let head = c.json(&["log", "--head"])["head"].as_str().unwrap().to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/verify_chain.py");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new("python3")
            .arg(script)
            .arg(&c.dir)
            .args(extra)
            .output()
            .expect("python3 not found on PATH: run `bash .ci/install-test-deps`");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = run(&["--head", &head]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("head {head}")), "{out}");
    without_guards(&c, "UPDATE custody_event SET reason = 'forged' WHERE seq = 3");
    let (code, out) = run(&[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("event #3: hash mismatch"), "{out}");
}
