//! The human output of every command, pinned by snapshots (insta).
//!
//! Each test runs a scripted session through the real binary, like a person at
//! a terminal: one catalog per scenario, `cd` into it, commands in order. The
//! transcript (command line, stdout, stderr, exit code) is snapshotted in
//! `tests/snapshots/*.snap` with the volatile parts replaced by labels:
//! wall-clock times, durations, the temp dir, event hashes (`[newsroom#12]`,
//! by catalog and seq), key ids, catalog ids, and the bytes ffmpeg produces
//! (which depend on its version). Content from fixed fixture bytes keeps its
//! real SHA-256s, sizes and fingerprints: those are facts the output must show.
//!
//! Facts are asserted on parsed `--json` elsewhere; these snapshots protect the
//! wording and layout people read. After an intended change of output, run
//! `INSTA_UPDATE=always cargo test --test snapshots` (or `cargo insta review`)
//! and review the diff of `tests/snapshots/` like code. With `CI=true` insta
//! never writes snapshots: a difference, or a missing snapshot, fails.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{media, sha256sum, Cat};
use serde_json::Value;

/// A scripted session: commands run in `cwd`, their output collected into a
/// transcript until `snapshot` checks and clears it.
struct Session {
    cat: Cat,
    cwd: PathBuf,
    transcript: String,
    /// Exact volatile values and the labels that replace them.
    redactions: Vec<(String, String)>,
}

impl Session {
    fn new() -> Self {
        let cat = Cat::empty();
        let tmp = cat.tmp.path().to_path_buf();
        let mut s = Session { cwd: tmp.clone(), cat, transcript: String::new(), redactions: Vec::new() };
        s.redact(tmp.display().to_string(), "[tmp]");
        if let Ok(canonical) = tmp.canonicalize() {
            s.redact(canonical.display().to_string(), "[tmp]");
        }
        s
    }

    fn tmp(&self) -> &Path {
        self.cat.tmp.path()
    }

    /// A fixture file under `work/`.
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        self.cat.write(name, bytes)
    }

    /// Change directory, relative to the current one but never out of the
    /// temp dir; shown in the transcript.
    fn cd(&mut self, dir: &str) {
        for part in Path::new(dir).components() {
            match part {
                std::path::Component::ParentDir => {
                    assert!(self.cwd != self.tmp(), "cd {dir} would leave the temp dir");
                    self.cwd.pop();
                }
                std::path::Component::Normal(p) => self.cwd.push(p),
                other => panic!("cd {dir}: only relative paths ({other:?})"),
            }
        }
        let _ = writeln!(self.transcript, "$ cd {dir}\n");
    }

    /// A comment in the transcript, for what the test does behind evcat's back.
    fn note(&mut self, text: &str) {
        let _ = writeln!(self.transcript, "# {text}\n");
    }

    fn redact(&mut self, value: impl Into<String>, label: &str) {
        let value = value.into();
        if !value.is_empty() && !self.redactions.iter().any(|(v, _)| *v == value) {
            self.redactions.push((value, label.to_string()));
        }
    }

    /// `evcat` in `cwd` with an environment that cannot change its output:
    /// no EVCAT_* settings (clap would also print their values in `--help`), a
    /// fixed help width, no forced colours.
    fn evcat(&self) -> assert_cmd::Command {
        let mut cmd = self.cat.bare();
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("EVCAT_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("COLUMNS", "100").env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE").current_dir(&self.cwd);
        cmd
    }

    /// Run `evcat ARGS` in `cwd` and record it; returns the exit code.
    fn run(&mut self, args: &[&str]) -> i32 {
        let out = self.evcat().args(args).output().expect("run evcat");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!stderr.contains("panicked"), "evcat {args:?} panicked: {stderr}");
        let code = out.status.code().expect("evcat exited by a signal");
        let shown: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
        let t = &mut self.transcript;
        let _ = writeln!(t, "$ evcat {}", shown.join(" "));
        t.push_str(&stdout);
        for line in stderr.lines() {
            let _ = writeln!(t, "stderr| {line}");
        }
        if code != 0 {
            let _ = writeln!(t, "[exit {code}]");
        }
        t.push('\n');
        code
    }

    fn ok(&mut self, args: &[&str]) {
        let code = self.run(args);
        assert_eq!(code, 0, "evcat {args:?} failed; transcript so far:\n{}", self.transcript);
    }

    fn fails(&mut self, args: &[&str], expected: i32) {
        let code = self.run(args);
        assert_eq!(code, expected, "evcat {args:?}: expected exit {expected}; transcript so far:\n{}", self.transcript);
    }

    /// `evcat --json ARGS` in `cwd`, not recorded: how the test learns the
    /// volatile values to redact.
    fn query(&self, args: &[&str]) -> Value {
        self.query_in(&self.cwd, args)
    }

    fn query_in(&self, cwd: &Path, args: &[&str]) -> Value {
        let out = self.evcat().current_dir(cwd).arg("--json").args(args).output().expect("run evcat");
        assert!(out.status.success(), "evcat {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("evcat {args:?}: not JSON: {e}"))
    }

    /// Label the volatile values of the catalog in directory `name` (relative
    /// to the temp dir): its id, every event hash (full, and the 16-digit
    /// prefix `log` prints) and its actors' key ids.
    fn learn_catalog(&mut self, name: &str) {
        let dir = self.tmp().join(name);
        let log = self.query_in(&dir, &["log"]);
        for e in log.as_array().expect("log is an array") {
            let (seq, hash) = (&e["seq"], e["hash"].as_str().expect("event hash"));
            let label = format!("[{name}#{seq}]");
            self.redact(hash, &label);
            self.redact(&hash[..16], &label);
            if let Some(id) = e["details"]["catalog_id"].as_str() {
                self.redact(id, &format!("[{name} id]"));
            }
        }
        for a in self.query_in(&dir, &["actor", "list"]).as_array().expect("actors") {
            let (actor, key) = (a["name"].as_str().expect("name"), a["key_id"].as_str().expect("key id"));
            self.redact(key, &format!("[key of {actor}@{name}]"));
        }
    }

    /// Label an exported file's digest and size: it holds times and hashes of
    /// this run, so both change every run.
    fn learn_export(&mut self, path: &str) {
        let p = self.cwd.join(path);
        let name = p.file_name().expect("file name").to_string_lossy().into_owned();
        let size = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).len();
        self.redact(format!("{size} bytes, sha256 {}", sha256sum(&p)), &format!("[size and sha256 of {name}]"));
    }

    /// Label what ffmpeg's encoder decides for file `id` (its bytes, so its
    /// SHA-256 and size, and the hashes of frames decoded from it).
    fn learn_ffmpeg_file(&mut self, id: &str, label: &str) {
        let show = self.query(&["show", id]);
        let sha = show["file"]["sha256"].as_str().expect("sha256").to_string();
        for n in [64, 16, 12] {
            self.redact(&sha[..n], &format!("[{label} sha256]"));
        }
        let size = show["file"]["size"].as_u64().expect("size");
        self.redact(format!("{} ({size} bytes)", human_bytes(size)), &format!("[{label} size]"));
        self.redact(human_bytes(size), &format!("[{label} size]"));
        for fp in show["media"]["fingerprints"].as_array().into_iter().flatten() {
            self.redact(fp["hash"].as_str().expect("hash"), &format!("[{label} frame pdq]"));
        }
        for d in show["media"]["derived"].as_array().into_iter().flatten() {
            let sha = d["sha256"].as_str().expect("sha256");
            self.redact(&sha[..12], &format!("[{label} {}]", d["kind"].as_str().unwrap_or("derived")));
        }
    }

    /// Label the byte totals of the catalog in directory `name` that include
    /// files ffmpeg made: the objects audit re-hashes.
    fn learn_object_bytes(&mut self, name: &str) {
        let dir = self.tmp().join(name);
        let audit = self.query_in(&dir, &["audit", "--objects-only", "--no-record"]);
        let bytes = audit["checked"]["bytes"].as_u64().expect("checked bytes");
        self.redact(format!("({:.1} MB)", bytes as f64 / 1e6), "([object bytes, with ffmpeg output] MB)");
    }

    /// Label a bag's payload size (it holds files ffmpeg made).
    fn learn_bag(&mut self, bag: &str) {
        let check = self.query(&["import", "bag", "--verify-only", bag]);
        let bytes = check["payload_bytes"].as_u64().expect("payload bytes");
        self.redact(format!("({bytes} bytes)"), "([bag payload] bytes)");
    }

    /// Check the transcript so far against `tests/snapshots/NAME.snap`, then clear it.
    fn snapshot(&mut self, name: &str) {
        let text = std::mem::take(&mut self.transcript);
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        // Longest first, so a full hash is replaced before its prefix.
        let mut exact = self.redactions.clone();
        exact.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        for (value, label) in &exact {
            settings.add_filter(&regex::escape(value), label.replace('$', "$$"));
        }
        // Wall-clock times are stored with microseconds; times people give
        // (posted, captured, acquired at) have none and stay visible.
        settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", "[now]");
        settings.add_filter(r"records in \d+\.\d\ds", "records in [duration]");
        // A head's tree root follows its (already labelled) chain hash.
        settings.add_filter(r"\]:[0-9a-f]{64}", "]:[tree root]");
        settings.bind(|| insta::assert_snapshot!(name, text));
    }
}

/// An argument as a shell would need it typed.
fn shell_word(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@,=+%".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// The CLI's `1.2 MB` rendering (src/cli/output.rs), to label sizes that
/// depend on ffmpeg's version.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

const ARTICLE: &str = " date 2026-03-15 A report on the harbour gate protest, written for the snapshot tests.

A clip posted on TikTok shows two officers lifting a steel barrier.

A photo shared on X shows the crowd at the gate.

The council said 120 people attended, twice last year's number.

Originally published as Officers lift barrier at harbour gate
";

fn fixtures(s: &Session) {
    let exif = media::Exif {
        date_time_original: Some("2026:03:14 13:02:03".into()),
        offset: Some("+01:00".into()),
        make: Some("Canon".into()),
        model: Some("EOS R6".into()),
        gps: Some((51.5007, -0.1246)),
        ..Default::default()
    };
    s.write("cam.jpg", &media::photo_with_exif(640, 480, 21, &exif));
    s.write("post.jpg", &media::photo_resized(640, 480, 21, 480, 360, 70));
    s.write("drop/gate.png", &media::png_bytes(64, 48, 1));
    s.write("drop/night/crowd.jpg", &media::jpeg_bytes(48, 32, 2));
    s.write("drop/notes.txt", b"seen from the bridge at 13:05\n");
    s.write("article.txt", ARTICLE.as_bytes());
    media::make_mp4(&s.tmp().join("work"), "clip.mp4", 3, 320, 240, Some("2026-03-14T12:50:00Z"));
}

/// The newsroom's day: register, describe, claim, link, custody, media, export.
#[test]
fn newsroom_session() {
    let mut s = Session::new();
    fixtures(&s);

    s.ok(&["--actor", "ana", "init", "newsroom", "--role", "archivist"]);
    s.cd("newsroom");
    s.ok(&["probe", "../work/cam.jpg"]);
    s.ok(&["probe", "--no-hash", "../work/clip.mp4", "../work/drop/gate.png"]);
    s.ok(&[
        "add",
        "../work/cam.jpg",
        "--platform",
        "x",
        "--url",
        "https://x.com/ana_reports/status/1",
        "--author",
        "@ana_reports",
        "--posted-at",
        "2026-03-14T13:52:00Z",
        "--acquired-by",
        "ana",
        "--acquired-at",
        "2026-03-14T14:00:00Z",
        "--method",
        "sent-by-source",
        "--note",
        "original from the photographer",
    ]);
    s.ok(&["add", "../work/drop"]);
    s.ok(&["add", "../work/cam.jpg"]);
    s.ok(&["add", "../work/post.jpg", "--platform", "telegram", "--posted-at", "2026-03-15"]);
    s.ok(&["evidence", "add", "--kind", "web", "--url", "https://ledger.example/live", "--title", "Live blog"]);
    s.ok(&["list", "evidence"]);
    s.learn_catalog("newsroom");
    s.snapshot("newsroom_1_register");

    s.ok(&["article", "add", "../work/article.txt", "--publisher", "Harbour City Ledger"]);
    s.ok(&["article", "add", "../work/article.txt"]);
    s.ok(&["list", "evidence", "--status", "referenced"]);
    s.ok(&["add", "../work/clip.mp4", "--evidence", "E7", "--method", "download", "--tool", "yt-dlp"]);
    s.learn_ffmpeg_file("F6", "clip");
    s.ok(&["evidence", "edit", "E7", "--posted-at", "2026-03-14T14:20:00Z", "--reason", "from the platform's page"]);
    s.ok(&["evidence", "edit", "E7", "--posted-at", "2026-03-14T14:20:00Z"]);
    s.ok(&["list", "files"]);
    s.ok(&["list", "files", "--media-type", "image/"]);
    s.ok(&["list", "articles"]);
    s.ok(&["claim", "add", "--article", "A1", "--quote", "the council said 120 people  attended"]);
    s.ok(&["claim", "add", "--article", "A1", "--quote", "shows two officers lifting a steel barrier"]);
    s.ok(&["claim", "add", "--article", "A1", "--quote", "Shows two officers\n lifting a steel barrier"]);
    s.ok(&["claim", "add", "--text", "The gate stayed open all afternoon."]);
    s.ok(&["claim", "confirm", "C1"]);
    s.ok(&["claim", "reject", "C3", "--reason", "a count, not media"]);
    s.ok(&["link", "C1", "E7", "--relation", "depicts", "--at", "00:01-00:02.5", "--note", "barrier lifted"]);
    s.ok(&["link", "C2", "E1", "--relation", "supports", "--region", "10,20,300,200"]);
    s.ok(&["link", "C5", "E2", "--relation", "contradicts"]);
    s.ok(&["claims"]);
    s.ok(&["claims", "--unsupported"]);
    s.ok(&["list", "claims"]);
    s.ok(&["unlink", "L5", "--reason", "linked by mistake"]);
    s.learn_catalog("newsroom");
    s.snapshot("newsroom_2_articles_claims_links");

    s.ok(&["show", "E1"]);
    s.ok(&["show", "F1"]);
    s.ok(&["show", "F6"]);
    s.ok(&["show", "A1"]);
    s.ok(&["show", "C1"]);
    s.ok(&["show", "L1"]);
    s.ok(&["trace", "C1"]);
    s.ok(&["trace", "C2"]);
    s.ok(&["cited-by", "1b3c12f3"]);
    s.ok(&["cited-by", "E3"]);
    s.ok(&["search", "barrier"]);
    s.ok(&["search", "nothing-like-this"]);
    s.learn_catalog("newsroom");
    s.snapshot("newsroom_3_show_trace_search");

    s.ok(&["actor", "add", "editor", "--role", "editor"]);
    s.ok(&["actor", "list"]);
    s.ok(&[
        "--actor",
        "editor",
        "custody",
        "transfer",
        "F1",
        "--to",
        "legal desk",
        "--reason",
        "pre-publication review",
    ]);
    s.ok(&["custody", "note", "E1", "the original post was deleted on 2026-03-16"]);
    s.ok(&["custody", "F1"]);
    s.ok(&["log", "--since", "20"]);
    s.ok(&["log", "--head"]);
    let head = s.query(&["log", "--head"])["head"].as_str().expect("head").to_string();
    s.ok(&["audit"]);
    s.ok(&["audit", "--log-only", "--no-record", "--head", &head]);
    s.ok(&["trace", "C1"]);
    s.learn_catalog("newsroom");
    s.learn_object_bytes("newsroom");
    s.snapshot("newsroom_4_custody_log_audit");

    s.ok(&["similar", "F1"]);
    s.ok(&["similar", "F2"]);
    s.ok(&["similar", "--all"]);
    s.ok(&["derive", "F5", "--from", "F1", "--how", "transcode", "--reason", "same picture, smaller"]);
    s.ok(&["derive", "F5", "--from", "F1", "--how", "transcode"]);
    s.ok(&["lineage", "F5"]);
    s.ok(&["lineage", "E1"]);
    s.ok(&["fingerprint", "F1", "F5"]);
    s.ok(&["fingerprint", "--missing"]);
    s.ok(&["show", "F5"]);
    s.learn_catalog("newsroom");
    s.snapshot("newsroom_5_media");

    s.ok(&["export", "bag", "../out/bag", "--article", "A1"]);
    for (what, out) in [("prov", "../out/prov.json"), ("claimreview", "../out/claims.jsonld")] {
        s.ok(&["export", what, out]);
        s.learn_export(out);
    }
    s.ok(&["export", "report", "../out/A1.html", "--article", "A1"]);
    s.learn_export("../out/A1.html");
    for what in ["evidence", "files", "claims", "links"] {
        let out = format!("../out/{what}.csv");
        s.ok(&["export", "csv", &out, "--what", what]);
        s.learn_export(&out);
    }
    s.fails(&["export", "prov", "../out/prov.json"], 2);
    s.learn_catalog("newsroom");
    s.snapshot("newsroom_6_export");

    // A partner newsroom receives the bag and a spreadsheet.
    s.cd("..");
    s.ok(&["--actor", "ben", "init", "partner"]);
    s.cd("partner");
    s.learn_bag("../out/bag");
    s.ok(&["import", "bag", "--verify-only", "../out/bag"]);
    s.ok(&["import", "bag", "../out/bag"]);
    s.ok(&["import", "bag", "../out/bag"]);
    s.write(
        "sheet.csv",
        b"URL,Platform,Title,Author,Posted At,Notes\n\
          https://www.tiktok.com/@harbour/video/2,TikTok,Second angle,@harbour,2026-03-14T13:55:00Z,from a reader\n\
          https://x.com/b/status/2,twitter,\"Crowd, at the gate\",@b,2026-03-14,\n",
    );
    s.ok(&["import", "csv", "../work/sheet.csv"]);
    s.ok(&["import", "csv", "../work/sheet.csv"]);
    s.ok(&["list", "evidence"]);
    s.learn_object_bytes("partner");
    s.ok(&["audit"]);
    s.note("a byte of the bag's copy of F1 changes in transit");
    let payload = s.tmp().join("out/bag/data");
    let copied = walk_files(&payload).into_iter().find(|p| p.extension().is_some_and(|e| e == "jpg"));
    let copied = copied.expect("a JPEG in the bag's payload");
    let mut bytes = std::fs::read(&copied).expect("read payload file");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&copied, bytes).expect("tamper with payload file");
    s.fails(&["import", "bag", "../out/bag"], 1);
    s.learn_catalog("newsroom");
    s.learn_catalog("partner");
    s.snapshot("newsroom_7_partner_import");
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// What audit says about a catalog tampered with behind evcat's back, and the
/// errors people typically run into, each with its exit code.
#[test]
fn problems_and_errors_session() {
    let mut s = Session::new();
    s.write("a.png", &media::png_bytes(40, 30, 5));
    s.write("b.png", &media::png_bytes(40, 30, 6));
    s.ok(&["--actor", "tess", "init", "desk"]);
    s.cd("desk");
    s.ok(&["add", "../work/a.png", "../work/b.png"]);
    s.ok(&["audit", "--no-record"]);
    s.note("the stored copy of F2 is overwritten, and E1's title changed with sqlite3");
    let sha = s.query(&["show", "F2"])["file"]["sha256"].as_str().expect("sha256").to_string();
    let object = s.tmp().join("desk/objects/sha256").join(&sha[0..2]).join(&sha[2..4]).join(&sha);
    std::fs::remove_file(&object).expect("remove the read-only object");
    std::fs::write(&object, b"not the picture").expect("write a forged object");
    let db = rusqlite::Connection::open(s.tmp().join("desk/catalog.sqlite")).expect("open catalog.sqlite");
    db.execute_batch("UPDATE evidence SET title = 'forged' WHERE id = 1").expect("tamper with a row");
    drop(db);
    s.fails(&["audit"], 1);
    s.fails(&["audit", "--objects-only"], 1);

    s.fails(&["init", "."], 2);
    s.fails(&["show", "E42"], 2);
    s.fails(&["show", "zz"], 2);
    s.fails(&["evidence", "edit", "E1", "--posted-at", "last tuesday"], 2);
    s.fails(&["evidence", "add", "--kind", "hologram"], 2);
    s.fails(&["claim", "add", "--text", "x", "--article", "A1"], 2);
    s.fails(&["audit", "--head", "12:nothex"], 2);
    s.fails(&["add", "../work/missing.jpg"], 2);
    s.fails(&["add", "../work/a.png", "../work/missing.jpg"], 4);
    s.fails(&["probe", "../work/b.png", "../work/missing.jpg"], 4);
    s.fails(&["--actor", "nobody", "evidence", "add", "--kind", "web"], 2);
    s.fails(&["frobnicate"], 2);
    s.cd("../work");
    s.fails(&["export", "prov", "prov.json"], 3);
    s.learn_catalog("desk");
    s.snapshot("problems_and_errors");
}

/// Output that needs no catalog: help, version, completions, man.
#[test]
fn help_completions_man_session() {
    let mut s = Session::new();
    s.ok(&["--help"]);
    s.ok(&["--version"]);
    s.ok(&["help", "export"]);
    s.ok(&["completions", "fish"]);
    s.ok(&["man", "--out", "man"]);
    s.snapshot("help_completions_man");
}
