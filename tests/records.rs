//! Evidence lifecycle, provenance edits, listing, `show` by id and prefix, search.

mod common;

use common::{media, registered, s, Cat};
use serde_json::Value;

#[test]
fn referenced_evidence_becomes_acquired_when_a_file_is_added() {
    let c = Cat::new();
    let e = c.json(&[
        "evidence",
        "add",
        "--kind",
        "video",
        "--platform",
        "tiktok",
        "--url",
        "https://www.tiktok.com/@a/video/1",
        "--title",
        "Barrier clip",
    ]);
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(id, "E1");
    assert_eq!(e["status"], "referenced");
    let todo = c.json(&["list", "evidence", "--status", "referenced"]);
    assert_eq!(todo.as_array().unwrap().len(), 1);

    // Provenance options with --evidence are refused: they describe a new item.
    let p = c.write("clip.bin", &media::random_bytes(4096, 1));
    let (_, err) = c.fails(&["add", s(&p), "--evidence", &id, "--url", "https://x"], 2);
    assert!(err.contains("evidence edit E1"), "{err}");

    let r = c.json(&["add", s(&p), "--evidence", &id, "--acquired-by", "ana"]);
    assert_eq!(registered(&r)[0]["evidence"], "E1");
    let shown = c.json(&["show", &id]);
    assert_eq!(shown["evidence"]["status"], "acquired");
    assert_eq!(shown["files"].as_array().unwrap().len(), 1);
    let actions: Vec<&str> =
        shown["custody"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["registered", "acquired"]);
    assert!(c.json(&["list", "evidence", "--status", "referenced"]).as_array().unwrap().is_empty());

    let (_, err) = c.fails(&["add", s(&p), "--evidence", "E99"], 2);
    assert!(err.contains("E99"), "{err}");
}

#[test]
fn edit_records_before_and_after_values() {
    let c = Cat::new();
    c.json(&["evidence", "add", "--kind", "image", "--platform", "x", "--url", "https://x.com/a/status/1"]);
    let r = c.json(&[
        "evidence",
        "edit",
        "E1",
        "--url",
        "https://x.com/a/status/2",
        "--posted-at",
        "2026-03-14T16:05:00+01:00",
        "--reason",
        "wrong post id",
    ]);
    let mut changed: Vec<&str> = r["changed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    changed.sort();
    assert_eq!(changed, ["posted_at", "source_url"]);
    assert_eq!(r["evidence"]["posted_at"], "2026-03-14T15:05:00Z");

    let timeline = c.json(&["custody", "E1"]);
    let edit = timeline.as_array().unwrap().iter().find(|e| e["action"] == "edited").unwrap();
    assert_eq!(edit["reason"], "wrong post id");
    assert_eq!(edit["actor"], "tester");
    let ch = &edit["details"]["changes"];
    assert_eq!(ch["source_url"]["before"], "https://x.com/a/status/1");
    assert_eq!(ch["source_url"]["after"], "https://x.com/a/status/2");
    assert_eq!(ch["posted_at"]["before"], serde_json::Value::Null);

    // Setting a field to its current value logs nothing.
    let before = c.json(&["log"]).as_array().unwrap().len();
    let r = c.json(&["evidence", "edit", "E1", "--url", "https://x.com/a/status/2"]);
    assert!(r["changed"].as_array().unwrap().is_empty());
    assert_eq!(c.json(&["log"]).as_array().unwrap().len(), before);

    // Clearing and bad values.
    c.ok(&["evidence", "edit", "E1", "--clear", "posted-at"]);
    assert_eq!(c.json(&["show", "E1"])["evidence"]["posted_at"], serde_json::Value::Null);
    let (_, err) = c.fails(&["evidence", "edit", "E1", "--posted-at", "last tuesday"], 2);
    assert!(err.contains("last tuesday"), "{err}");
    c.fails(&["evidence", "edit", "E1", "--platform", "myspace"], 2);
    c.fails(&["evidence", "edit", "E1"], 2);
}

#[test]
fn show_by_sha_prefix_and_ambiguous_prefix_lists_candidates() {
    let c = Cat::new();
    // Enough files that two share a 4-digit prefix (birthday bound on 65,536).
    let mut paths = Vec::new();
    for i in 0..700u64 {
        paths.push(c.write(&format!("many/{i}.bin"), &i.to_le_bytes()));
    }
    let r = c.json(&["add", s(&c.work("many"))]);
    assert_eq!(r["registered"], 700);
    let shas: Vec<String> = registered(&r).iter().map(|i| i["sha256"].as_str().unwrap().to_string()).collect();
    let mut by_prefix = std::collections::HashMap::<&str, Vec<&str>>::new();
    for sha in &shas {
        by_prefix.entry(&sha[..4]).or_default().push(sha);
    }
    let (dup_prefix, dups) =
        by_prefix.iter().find(|(_, v)| v.len() > 1).expect("a shared 4-digit prefix among 700 hashes");
    let (_, err) = c.fails(&["show", dup_prefix], 2);
    assert!(err.contains("ambiguous"), "{err}");
    for d in dups {
        assert!(err.contains(&d[..16]), "candidate {d} not listed: {err}");
    }
    let unique = &dups[0][..12];
    let shown = c.json(&["show", unique]);
    assert_eq!(shown["file"]["sha256"], dups[0]);
    c.fails(&["show", "ffffffffffffffffffff"], 2);
    c.fails(&["show", "zz"], 2);
}

#[test]
fn list_filters_and_search() {
    let c = Cat::new();
    c.json(&[
        "evidence",
        "add",
        "--kind",
        "video",
        "--platform",
        "youtube",
        "--title",
        "Harbour gate livestream",
        "--url",
        "https://youtu.be/abc",
    ]);
    c.json(&["evidence", "add", "--kind", "image", "--platform", "instagram", "--title", "Selfie on the steps"]);
    let p = c.write("scarf.jpg", &media::jpeg_bytes(32, 32, 4));
    c.json(&["add", s(&p), "--note", "union scarf visible"]);

    assert_eq!(c.json(&["list", "evidence", "--kind", "image"]).as_array().unwrap().len(), 2);
    assert_eq!(c.json(&["list", "evidence", "--platform", "youtube"]).as_array().unwrap().len(), 1);
    assert_eq!(c.json(&["list", "evidence", "--limit", "1", "--offset", "1"])[0]["id"], "E2");
    assert_eq!(c.json(&["list", "files", "--media-type", "image/"]).as_array().unwrap().len(), 1);

    let hits = c.json(&["search", "livestream"]);
    assert_eq!(hits[0]["id"], "E1");
    let hits = c.json(&["search", "scarf"]);
    assert_eq!(hits[0]["id"], "F1");
    let hits = c.json(&["search", "youtu"]);
    assert_eq!(hits[0]["id"], "E1");
    // FTS syntax in user input is literal, not an error.
    c.json(&["search", "\"gate OR (NEAR"]);
    let text = c.ok(&["search", "nothing-like-this"]);
    assert!(text.contains("no matches"));
}

#[test]
fn catalog_discovery_env_and_parent_dirs() {
    let c = Cat::new();
    c.ok(&["evidence", "add", "--kind", "web", "--title", "only in this catalog"]);
    // Both lookups find this catalog: its one evidence item is listed.
    let listed = |out: std::process::Output| -> Vec<String> {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap_or_default().to_string()).collect()
    };
    // From a subdirectory of the catalog's parent with .evcat-style lookup.
    let nested = c.dir.join("objects/sha256");
    let out = c.bare().current_dir(&nested).args(["--json", "list", "evidence"]).output().unwrap();
    assert_eq!(listed(out), ["only in this catalog"]);
    let out = c.bare().env("EVCAT_CATALOG", &c.dir).args(["--json", "list", "evidence"]).output().unwrap();
    assert_eq!(listed(out), ["only in this catalog"]);
    let out = c.bare().current_dir("/").args(["list", "evidence"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("evcat init"));
    // --json errors are one JSON document on stdout too.
    let out = c.bare().current_dir("/").args(["--json", "list", "evidence"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["exit_code"], 3);
}

#[test]
fn usage_errors_exit_2() {
    let c = Cat::new();
    let head = c.json(&["log", "--head"])["head"].clone();
    let (out, err) = c.fails(&["evidence", "add", "--kind", "hologram"], 2);
    assert!(err.contains("invalid value 'hologram' for '--kind <KIND>'"), "{err}");
    assert!(err.contains("video, image, audio, document, web, other"), "lists the kinds: {err}");
    assert!(out.is_empty(), "{out}");
    let (_, err) = c.fails(&["frobnicate"], 2);
    assert!(err.contains("unrecognized subcommand 'frobnicate'") && err.contains("Usage: evcat"), "{err}");
    let (out, err) = c.fails(&["show", "E42"], 2);
    assert_eq!(err, "evcat: error: evidence E42 not found\n");
    assert!(out.is_empty(), "{out}");
    assert_eq!(c.json(&["log", "--head"])["head"], head, "nothing was recorded");
}

#[test]
fn clear_takes_field_names_not_columns_and_refuses_kind_and_status() {
    let c = Cat::new();
    c.json(&[
        "evidence",
        "add",
        "--kind",
        "video",
        "--platform",
        "youtube",
        "--url",
        "https://youtu.be/x",
        "--platform-id",
        "x",
        "--author",
        "@b",
        "--description",
        "two officers at the barrier",
    ]);
    let r = c.json(&["evidence", "edit", "E1", "--clear", "url", "--clear", "platform_id", "--clear", "author"]);
    let changed: Vec<&str> = r["changed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(changed, ["author_handle", "platform_id", "source_url"]);
    let ev = &r["evidence"];
    assert_eq!(
        (&ev["source_url"], &ev["platform_id"], &ev["author_handle"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(ev["description"], "two officers at the barrier");
    assert_eq!(ev["sources"], serde_json::json!({"description": "user", "platform": "user"}));

    for (field, why) in [("kind", "kind cannot be cleared"), ("status", "status cannot be cleared")] {
        let (_, err) = c.fails(&["evidence", "edit", "E1", "--clear", field], 2);
        assert!(err.contains(why), "{err}");
    }
    // Column names are not flag names.
    let (_, err) = c.fails(&["evidence", "edit", "E1", "--clear", "source_url"], 2);
    assert!(err.contains("possible values") && err.contains("platform-id"), "{err}");
    let (_, err) = c.fails(&["evidence", "edit", "E1", "--title", "T", "--clear", "title"], 2);
    assert!(err.contains("both set and cleared"), "{err}");
    assert_eq!(c.json(&["show", "E1"])["evidence"]["title"], Value::Null, "nothing was applied");
}

/// A flag's help line and its wrapped continuation lines, whitespace
/// collapsed (column widths differ by command).
fn help_of(page: &str, flag: &str) -> String {
    let mut it = page.lines().skip_while(|l| !l.starts_with(&format!("      {flag}")));
    let first = it.next().unwrap_or_else(|| panic!("{flag} missing from:\n{page}"));
    let more = it.take_while(|l| l.starts_with("        ") && !l.trim_start().starts_with('-'));
    std::iter::once(first).chain(more).flat_map(str::split_whitespace).collect::<Vec<_>>().join(" ")
}

/// Flags several commands take are defined once: every command that takes
/// one describes it in the same words.
#[test]
fn shared_flags_have_one_help_text() {
    let c = Cat::new();
    let pages =
        |cmds: &[&[&str]]| -> Vec<String> { cmds.iter().map(|cmd| c.ok(&[*cmd, &["--help"][..]].concat())).collect() };
    let evidence = pages(&[&["add"], &["evidence", "add"], &["evidence", "edit"]]);
    let changes = pages(&[&["evidence", "edit"], &["claim", "confirm"], &["claim", "reject"], &["unlink"]]);
    let groups: [(&[String], &[&str]); 2] = [
        (&evidence, &["--title", "--description", "--platform ", "--url", "--platform-id", "--author", "--posted-at"]),
        (&changes, &["--reason"]),
    ];
    for (pages, flags) in groups {
        for flag in flags {
            let lines: Vec<String> = pages.iter().map(|p| help_of(p, flag)).collect();
            assert!(lines.iter().all(|l| *l == lines[0]), "{flag} is described differently: {lines:#?}");
        }
    }
    // `add` now takes a description like the evidence commands.
    let f = c.write("d.bin", &media::random_bytes(2048, 9));
    let r = c.json(&["add", s(&f), "--description", "crowd at the gate"]);
    let e = registered(&r)[0]["evidence"].as_str().unwrap().to_string();
    assert_eq!(c.json(&["show", &e])["evidence"]["description"], "crowd at the gate");
}

/// Settings are flags with the environment as fallback; the library reads no
/// environment. The flag wins; an empty EVCAT_CATALOG means unset; a bad value
/// of a tuning variable is a usage error naming it, not silently ignored.
#[test]
fn settings_come_from_flags_with_the_environment_as_fallback() {
    let c = Cat::new();
    let missing = c.tmp.path().join("no-catalog-here");
    let out = c.cmd().env("EVCAT_CATALOG", &missing).args(["--json", "list", "evidence"]).output().unwrap();
    assert!(out.status.success(), "--catalog wins over EVCAT_CATALOG: {}", String::from_utf8_lossy(&out.stderr));
    let out = c.bare().env("EVCAT_CATALOG", &missing).args(["list", "evidence"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-catalog-here"), "names where it looked");
    let out =
        c.bare().env("EVCAT_CATALOG", "").current_dir(&c.dir).args(["--json", "list", "evidence"]).output().unwrap();
    assert!(out.status.success(), "empty means unset: {}", String::from_utf8_lossy(&out.stderr));

    for (var, value, flag) in [
        ("EVCAT_IO_THREADS", "0", "--io-threads"),
        ("EVCAT_IO_THREADS", "many", "--io-threads"),
        ("EVCAT_ADD_BATCH_FILES", "0", "--batch-files"),
    ] {
        let f = c.write("s.bin", b"settings");
        let out = c.cmd().env(var, value).args(["add", s(&f)]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(flag) && err.contains(value), "{var}={value}: {err}");
    }
    assert!(c.json(&["list", "files"]).as_array().unwrap().is_empty(), "nothing was added");
    let f = c.write("t.bin", &media::random_bytes(3 << 20, 11));
    let out =
        c.cmd().env("EVCAT_NO_DIRECT_IO", "1").env("EVCAT_IO_THREADS", "1").args(["--json", "add", s(&f)]).output();
    let r: Value = serde_json::from_slice(&out.unwrap().stdout).unwrap();
    assert_eq!(r["registered"], 1, "{r:#}");
    c.ok(&["add", "--io-threads", "2", "--no-direct-io", "--batch-files", "1", s(&c.write("u.bin", b"flags"))]);
    assert_eq!(c.json(&["list", "files"]).as_array().unwrap().len(), 2);
}
