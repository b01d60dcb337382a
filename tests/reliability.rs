//! Reliability: kills mid-add, concurrent writers, resource exhaustion,
//! permissions. Each scenario ends with an audit of the catalog.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{media, s, Cat};
use serde_json::Value;

/// Audit without recording, expecting a clean catalog.
fn assert_clean(c: &Cat, when: &str) -> Value {
    let out = c.cmd().args(["--json", "audit", "--no-record"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{when}: audit output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{when}: audit not clean: {v:#}");
    v
}

fn file_count(c: &Cat) -> usize {
    c.json(&["list", "files", "--limit", "100000"]).as_array().unwrap().len()
}

fn tmp_entries(c: &Cat) -> Vec<String> {
    std::fs::read_dir(c.dir.join("objects/tmp"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Deterministic pseudo-random sequence (splitmix64) for kill delays.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn sigkill_during_add_never_leaves_an_inconsistent_catalog() {
    const ROUNDS: usize = 20;
    const PER_FOLDER: u64 = 300;
    let c = Cat::new();
    for r in 0..ROUNDS as u64 {
        for i in 0..PER_FOLDER {
            let size = 500 + (splitmix(&mut (r * 1000 + i)) % 16_000) as usize;
            c.write(&format!("round{r}/sub{}/f{i}.bin", i % 4), &media::random_bytes(size, r * 1000 + i + 1));
        }
    }
    // Time complete adds of folders of the same shape, started exactly like
    // the killed runs, to spread the kills over a whole run: walk, staging,
    // commits, publishing. The first run warms caches; the faster one counts.
    let add_cmd = |dir: &std::path::Path| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("evcat"));
        cmd.env_remove("EVCAT_CATALOG")
            .env_remove("EVCAT_ACTOR")
            // Batches of 40 files: several are in flight (one committing, the
            // next being staged) when a kill lands.
            .env("EVCAT_ADD_BATCH_FILES", "40")
            .arg("--catalog")
            .arg(&c.dir)
            .arg("add")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let mut full = u64::MAX;
    for w in 0..2u64 {
        for i in 0..PER_FOLDER {
            c.write(&format!("warmup{w}/f{i}.bin"), &media::random_bytes(8_000, 900_000 + w * 1000 + i));
        }
        let started = Instant::now();
        assert!(add_cmd(&c.work(&format!("warmup{w}"))).status().unwrap().success());
        full = full.min(started.elapsed().as_millis().max(50) as u64);
    }

    let mut seed = 42u64;
    let mut killed_mid_run = 0;
    for r in 0..ROUNDS {
        let delay = splitmix(&mut seed) % (full * 9 / 10);
        let mut child = add_cmd(&c.work(&format!("round{r}"))).spawn().unwrap();
        thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();

        // The catalog opens, everything recorded is present and intact, and
        // no object is visible under an address its bytes do not hash to.
        let audit = assert_clean(&c, &format!("after kill {r} at {delay} ms"));
        assert!(audit["problems"].as_array().unwrap().is_empty());
        // Temp files of the dead writer are gone after the next open.
        let left: Vec<String> = tmp_entries(&c).into_iter().filter(|n| n.ends_with(".part")).collect();
        assert!(left.is_empty(), "after kill {r}: leftover temp files {left:?}");
    }
    eprintln!("{killed_mid_run}/{ROUNDS} kills landed mid-run (warm run {full} ms)");
    // Timing-based, so not every kill can be guaranteed to land mid-run; a
    // quarter is the floor below which the test would not be testing much.
    assert!(
        killed_mid_run >= ROUNDS / 4,
        "only {killed_mid_run} of {ROUNDS} kills landed mid-run (warm run {full} ms)"
    );

    // Re-running the same adds finishes the job without duplicates.
    let mut args = vec!["add"];
    let dirs: Vec<String> = (0..ROUNDS).map(|r| s(&c.work(&format!("round{r}"))).to_string()).collect();
    args.extend(dirs.iter().map(String::as_str));
    let report = c.json(&args);
    assert_eq!(report["failed"], 0, "{report:#}");
    let expected = ROUNDS * PER_FOLDER as usize + 2 * PER_FOLDER as usize;
    assert_eq!(file_count(&c), expected, "every file exactly once");
    let again = c.json(&args);
    assert_eq!(again["registered"], 0);
    assert_eq!(again["already_registered"], (ROUNDS * PER_FOLDER as usize) as u64);
    assert!(tmp_entries(&c).is_empty(), "temp dir not empty: {:?}", tmp_entries(&c));
    assert_clean(&c, "at the end");
}

#[test]
fn four_writers_at_once_all_succeed_and_the_chain_is_unbroken() {
    const WRITERS: usize = 4;
    const FILES: u64 = 40;
    const NOTES: usize = 5;
    let c = Cat::new();
    let mut evidence = Vec::new();
    let mut claims = Vec::new();
    for w in 0..WRITERS {
        let e = c.json(&["evidence", "add", "--kind", "other", "--title", &format!("batch {w}")]);
        evidence.push(e["id"].as_str().unwrap().to_string());
        let cl = c.json(&["claim", "add", "--text", &format!("Claim number {w} rests on batch {w}.")]);
        claims.push(cl["claim"]["id"].as_str().unwrap().to_string());
        for i in 0..FILES {
            c.write(&format!("w{w}/f{i}.bin"), &media::random_bytes(4_000, (w as u64) * 10_000 + i));
        }
    }
    let before =
        c.json(&["log", "--head"])["head"].as_str().unwrap().split(':').next().unwrap().parse::<u64>().unwrap();

    let bin = assert_cmd::cargo::cargo_bin("evcat");
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (bin, dir, work) = (bin.clone(), c.dir.clone(), c.work(&format!("w{w}")));
            let (e, cl) = (evidence[w].clone(), claims[w].clone());
            thread::spawn(move || {
                let run = |args: &[&str]| {
                    let out = Command::new(&bin)
                        .env_remove("EVCAT_CATALOG")
                        .env_remove("EVCAT_ACTOR")
                        .arg("--catalog")
                        .arg(&dir)
                        .args(args)
                        .stdin(Stdio::null())
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "writer {w}: evcat {args:?} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                };
                run(&["add", s(&work), "--evidence", &e]);
                run(&["link", &cl, &e, "--relation", "supports"]);
                for n in 0..NOTES {
                    run(&["custody", "note", &e, &format!("writer {w} note {n}")]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a writer failed");
    }

    // Every event is present: per writer, FILES registrations + 1 acquisition
    // + 1 link + NOTES notes.
    let head = c.json(&["log", "--head"])["head"].as_str().unwrap().to_string();
    let after: u64 = head.split(':').next().unwrap().parse().unwrap();
    assert_eq!(after - before, (WRITERS * (FILES as usize + 2 + NOTES)) as u64);
    let log = c.json(&["log", "--since", &before.to_string(), "--limit", "100000"]);
    let seqs: Vec<u64> = log.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, ((before + 1)..=after).collect::<Vec<_>>(), "no gaps, no forks");
    assert_eq!(file_count(&c), WRITERS * FILES as usize);
    assert_clean(&c, "after concurrent writers");
}

/// Run `evcat` through bash with a file-size limit and SIGXFSZ ignored, so
/// writes past the limit fail with EFBIG the way they fail on a full disk.
fn evcat_with_fsize_limit(c: &Cat, kib: u64, args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("evcat");
    let mut script = format!("trap '' XFSZ; ulimit -f {kib}; exec '{}' --catalog '{}'", bin.display(), c.dir.display());
    for a in args {
        script.push_str(&format!(" '{a}'"));
    }
    Command::new("bash").arg("-c").arg(script).env_remove("EVCAT_CATALOG").env_remove("EVCAT_ACTOR").output().unwrap()
}

#[test]
fn out_of_space_fails_cleanly_and_leaves_the_catalog_unchanged() {
    let c = Cat::new();
    let small = c.write("small.bin", &media::random_bytes(10_000, 1));
    c.ok(&["add", s(&small)]);
    let head = c.json(&["log", "--head"])["head"].clone();
    let big = c.write("big.bin", &media::random_bytes(3 << 20, 2));

    let out = evcat_with_fsize_limit(&c, 1024, &["add", s(&big)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "add past the size limit must fail");
    assert_eq!(out.status.code(), Some(3), "the catalog's store is full: a catalog error: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("big.bin"), "the error names the file: {err}");
    assert!(err.contains("object store"), "the error says where: {err}");
    assert!(err.to_lowercase().contains("too large") || err.contains("No space"), "the error says why: {err}");

    assert_eq!(c.json(&["log", "--head"])["head"], head, "no event recorded");
    assert_eq!(file_count(&c), 1);
    assert!(tmp_entries(&c).iter().all(|n| !n.ends_with(".part")), "{:?}", tmp_entries(&c));
    assert_clean(&c, "after the failed add");
    // With room again, the same add succeeds.
    c.ok(&["add", s(&big)]);
    assert_eq!(file_count(&c), 2);
}

/// A store that fills up halfway through a folder stops the add with a catalog
/// error (exit 3) instead of failing every later file one by one; batches
/// committed before stay, the rest of the catalog is untouched, and the same
/// add with room again finishes the job.
#[test]
fn store_full_midway_stops_the_add_and_keeps_committed_batches() {
    let c = Cat::new();
    for (name, len, seed) in [("a-small.bin", 20_000, 21), ("b-small.bin", 30_000, 22), ("c-big.bin", 3 << 20, 23)] {
        c.write(&format!("drop/{name}"), &media::random_bytes(len, seed));
    }
    c.write("drop/d-small.bin", &media::random_bytes(10_000, 24));
    let drop = c.work("drop");
    // One file per transaction, so the two small files before the big one commit.
    let out = evcat_with_fsize_limit(&c, 1024, &["--json", "add", "--batch-files", "1", s(&drop)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON error document");
    assert_eq!(doc["error"]["exit_code"], 3);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("c-big.bin") && msg.contains("object store"), "{msg}");
    let names: Vec<String> = c
        .json(&["list", "files"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["original_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a-small.bin", "b-small.bin"], "batches before the full store are kept, none after");
    assert!(tmp_entries(&c).iter().all(|n| !n.ends_with(".part")), "{:?}", tmp_entries(&c));
    assert_clean(&c, "after the store filled up");

    let r = c.json(&["add", s(&drop)]);
    assert_eq!((r["registered"].as_u64(), r["already_registered"].as_u64()), (Some(2), Some(2)), "{r:#}");
    assert_clean(&c, "after the add with room");
}

/// The same limit on an output the user chose is the user's problem (exit 2),
/// not the catalog's: exit codes follow the cause.
#[test]
fn a_full_export_destination_is_an_input_error() {
    let c = Cat::new();
    let big = c.write("big.bin", &media::random_bytes(3 << 20, 25));
    c.ok(&["add", "--in-place", s(&big)]);
    let bag = c.work("bag");
    let out = evcat_with_fsize_limit(&c, 1024, &["export", "bag", s(&bag), "--all"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("big.bin") && err.to_lowercase().contains("too large"), "{err}");
    assert_clean(&c, "after the failed export");
}

/// Run as an unprivileged user when we are root (permissions do not stop
/// root); as ourselves otherwise.
fn as_unprivileged(args: &[&str], dir: &Path) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("evcat");
    let root = euid_is_root();
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    cmd.arg("--catalog").arg(dir).args(args).env_remove("EVCAT_CATALOG").env_remove("EVCAT_ACTOR");
    cmd.output().expect("setpriv (util-linux) is needed to drop privileges in this test")
}

fn euid_is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Let the unprivileged user traverse the temp dir, read the inputs and own
/// the catalog (keys keep their private modes).
fn give_to_unprivileged(c: &Cat) {
    assert!(Command::new("chmod").arg("a+rx").arg(c.tmp.path()).status().unwrap().success());
    chmod_r(&c.work(""), "a+rX");
    if euid_is_root() {
        assert!(Command::new("chown").args(["-R", "65534:65534"]).arg(&c.dir).status().unwrap().success());
    }
}

fn chmod_r(path: &Path, mode: &str) {
    assert!(Command::new("chmod").args(["-R", mode]).arg(path).status().unwrap().success());
}

#[test]
fn read_only_catalog_gives_a_clear_error_and_stays_unchanged() {
    let c = Cat::new();
    let f = c.write("a.bin", &media::random_bytes(5_000, 3));
    c.ok(&["add", s(&f)]);
    let g = c.write("b.bin", &media::random_bytes(5_000, 4));
    assert!(Command::new("chmod").arg("a+rx").arg(c.tmp.path()).status().unwrap().success());
    chmod_r(&c.work(""), "a+rX");
    chmod_r(&c.dir, "a-w");
    let head = c.json(&["log", "--head"])["head"].clone();

    let out = as_unprivileged(&["add", s(&g)], &c.dir);
    let err = String::from_utf8_lossy(&out.stderr);
    chmod_r(&c.dir, "u+w");
    assert!(!out.status.success());
    assert_eq!(out.status.code(), Some(3), "a catalog problem: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("catalog.sqlite") || err.contains(s(&c.dir)), "names the catalog: {err}");
    assert!(err.to_lowercase().contains("read-only") || err.contains("ermission"), "says why: {err}");
    assert_eq!(c.json(&["log", "--head"])["head"], head);
    assert_eq!(file_count(&c), 1);
    assert_clean(&c, "after the refused add");
}

#[test]
fn unreadable_file_is_reported_and_the_rest_registered() {
    let c = Cat::new();
    c.write("mix/ok1.bin", &media::random_bytes(3_000, 5));
    c.write("mix/ok2.bin", &media::random_bytes(3_000, 6));
    let secret = c.write("mix/secret.bin", &media::random_bytes(3_000, 7));
    give_to_unprivileged(&c);
    assert!(Command::new("chmod").arg("000").arg(&secret).status().unwrap().success());

    let out = as_unprivileged(&["--json", "add", s(&c.work("mix"))], &c.dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "partial success: {stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["registered"], 2, "{r:#}");
    let failed: Vec<&Value> = r["items"].as_array().unwrap().iter().filter(|i| i["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["path"].as_str().unwrap().ends_with("secret.bin"));
    assert!(failed[0]["error"].as_str().unwrap().contains("ermission denied"), "{failed:#?}");
}

#[test]
fn odd_names_and_directories_named_like_files() {
    use std::os::unix::ffi::OsStrExt;
    let c = Cat::new();
    c.write("odd/clip.mp4/inside.bin", &media::random_bytes(1_000, 8));
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9-latin1.jpg");
    let p = c.work("odd").join(raw);
    std::fs::write(&p, media::jpeg_bytes(16, 16, 9)).unwrap();
    let r = c.json(&["add", s(&c.work("odd"))]);
    assert_eq!(r["registered"], 2, "{r:#}");
    let files = c.json(&["list", "files"]);
    let names: Vec<&str> = files.as_array().unwrap().iter().map(|f| f["original_name"].as_str().unwrap()).collect();
    assert!(names.contains(&"inside.bin"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("caf") && n.ends_with("-latin1.jpg")), "{names:?}");
    assert_clean(&c, "after odd names");
}
