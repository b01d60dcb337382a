//! A catalog made by an older evcat (schema 6, `tests/data/catalog-v6`, see its
//! README) opens, migrates, audits clean and keeps working. This is the test
//! CONTRIBUTING's "Add a migration" asks for: a new column must not make the
//! rows of old catalogs differ from the replay of their log.
//!
//! The fixture was made with evcat d1d9e98 (`EVCAT_MEDIA_ANALYSIS=off`):
//! `init cat --role archivist`; `add photo.jpg --platform x --url ... --author @a
//! --posted-at ... --acquired-by ana --method download --tool yt-dlp`; `add
//! clip.bin --title "Barrier clip" --platform tiktok`; `evidence add --kind video
//! --platform instagram ...`; `evidence edit E3 --posted-at ...`; `article add
//! samples/article.txt --publisher ...`; `claim add --text ...`; `claim confirm
//! C2`; `claim reject C5`; three `link`s; `unlink L3`; `custody transfer F1`;
//! `actor add editor`; `audit`; `derive F2 --from F1 --how transcode`; `audit`.

mod common;

use std::path::Path;

use common::Cat;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != "README.md" {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The fixture in a fresh temp catalog directory, with the permissions git
/// does not keep (private keys 0600).
fn old_catalog() -> Cat {
    let c = Cat::empty();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/catalog-v6"), &c.dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for k in std::fs::read_dir(c.dir.join("keys")).unwrap() {
            std::fs::set_permissions(k.unwrap().path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    c
}

#[test]
fn a_schema_6_catalog_migrates_audits_clean_and_keeps_working() {
    let c = old_catalog();
    let audit = c.json(&["audit", "--no-record"]);
    assert_eq!(audit["clean"], true, "{audit:#}");
    assert_eq!(audit["checked"]["events"], 36);
    assert_eq!(audit["head"].as_str().unwrap().split(':').next(), Some("36"));

    // Old rows read with the new columns empty, and old facts intact.
    let f1 = c.json(&["show", "F1"]);
    assert_eq!(f1["file"]["make"].as_str().map(str::is_empty), Some(false), "{f1:#}");
    assert!(!f1["file"]["gps_lat"].is_null(), "{f1:#}");
    let f2 = c.json(&["show", "F2"]);
    assert_eq!(f2["file"]["derived_from"], "F1");
    let claims = c.json(&["claims"]);
    assert!(claims.as_array().unwrap().iter().any(|x| x["id"] == "C2" && x["status"] == "confirmed"));

    // New work on the old catalog, then a full audit again.
    c.write("new.bin", b"bytes registered after the upgrade");
    c.ok(&["add", c.work("new.bin").to_str().unwrap(), "--media-analysis", "off"]);
    c.ok(&["evidence", "edit", "E3", "--title", "Live from the hall (upgraded)"]);
    c.ok(&["custody", "note", "F1", "checked after the upgrade"]);
    let again = c.json(&["audit"]);
    assert_eq!(again["clean"], true, "{again:#}");

    // A change behind evcat's back to a column the old rows never had is caught.
    c.sql("UPDATE file SET lens = 'forged lens' WHERE id = 1");
    let (out, _) = c.fails(&["--json", "audit", "--no-record"], 1);
    let tampered: serde_json::Value = serde_json::from_str(&out).unwrap();
    let problems = tampered["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["record"] == "F1" && p["kind"] == "field-changed"), "{tampered:#}");
}
