//! Exit codes follow the cause (README "Exit codes"): the user's input is 2,
//! the catalog's own files are 3. A full store is in tests/reliability.rs.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{s, Cat};

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn user_version(c: &Cat) -> i64 {
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_bad_key_file_the_user_names_is_an_input_error() {
    let c = Cat::new();
    c.ok(&["actor", "add", "editor"]);
    let write = ["evidence", "add", "--kind", "web"];
    let head = c.json(&["log", "--head"])["head"].clone();

    let missing = c.work("nowhere.key");
    let (_, err) = c.fails(&[&["--key-file", s(&missing)][..], &write].concat(), 2);
    assert!(err.contains("nowhere.key") && err.contains("--key-file"), "{err}");

    let junk = c.write("junk.key", b"hello, not a key\n");
    chmod(&junk, 0o600);
    let (_, err) = c.fails(&[&["--key-file", s(&junk)][..], &write].concat(), 2);
    assert!(err.contains("junk.key") && err.contains("not an evcat key"), "{err}");

    let open_key = c.work("open.key");
    std::fs::copy(c.dir.join("keys/tester.key"), &open_key).unwrap();
    chmod(&open_key, 0o644);
    let (_, err) = c.fails(&[&["--key-file", s(&open_key)][..], &write].concat(), 2);
    assert!(err.contains("chmod 600"), "{err}");

    // A real key, but another actor's.
    let editors = c.dir.join("keys/editor.key");
    let (_, err) = c.fails(&[&["--actor", "tester", "--key-file", s(&editors)][..], &write].concat(), 2);
    assert!(err.contains("editor.key") && err.contains("does not belong to actor \"tester\""), "{err}");

    // The same via EVCAT_KEY_FILE, with --json: one error document.
    let out = c.cmd().env("EVCAT_KEY_FILE", &junk).arg("--json").args(write).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["exit_code"], 2);

    assert_eq!(c.json(&["log", "--head"])["head"], head, "nothing was signed");
    // The right key file works.
    c.ok(&[&["--actor", "editor", "--key-file", s(&editors)][..], &write].concat());
}

#[test]
fn the_catalogs_own_key_being_unusable_is_a_catalog_error() {
    let c = Cat::new();
    let write = ["evidence", "add", "--kind", "web"];
    let key = c.dir.join("keys/tester.key");
    chmod(&key, 0o644);
    let (_, err) = c.fails(&write, 3);
    assert!(err.contains("keys/tester.key") && err.contains("chmod 600"), "{err}");
    chmod(&key, 0o600);

    // keys/tester.key replaced by another actor's key.
    c.ok(&["actor", "add", "editor"]);
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    std::fs::copy(c.dir.join("keys/editor.key"), &key).unwrap();
    let (_, err) = c.fails(&write, 3);
    assert!(err.contains("does not belong to actor \"tester\""), "{err}");

    std::fs::remove_file(&key).unwrap();
    let (_, err) = c.fails(&write, 3);
    assert!(err.contains("keys/tester.key"), "{err}");

    std::fs::write(&key, saved).unwrap();
    chmod(&key, 0o600);
    c.ok(&write);
    assert_eq!(c.json(&["audit", "--no-record"])["clean"], true);
}

#[test]
fn an_absurd_schema_version_is_a_clear_catalog_error_never_a_panic() {
    let c = Cat::new();
    let current = user_version(&c);
    for absurd in [-1, i64::from(i32::MIN), current + 1001, i64::from(i32::MAX)] {
        c.sql(&format!("PRAGMA user_version = {absurd}"));
        let (_, err) = c.fails(&["list", "evidence"], 3);
        assert!(err.contains(&format!("schema version {absurd}")), "{absurd}: {err}");
        assert!(err.contains("catalog.sqlite") && err.contains("damaged"), "{absurd}: {err}");
        assert_eq!(user_version(&c), absurd, "a refused open changes nothing");
    }
    // One ahead is a newer evcat, not damage.
    c.sql(&format!("PRAGMA user_version = {}", current + 1));
    let (_, err) = c.fails(&["list", "evidence"], 3);
    assert!(err.contains("newer") && err.contains("upgrade evcat"), "{err}");

    c.sql(&format!("PRAGMA user_version = {current}"));
    assert_eq!(c.json(&["audit", "--no-record"])["clean"], true);
}
