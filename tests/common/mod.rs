//! Test fixtures: a temp catalog driven through the real `evcat` binary.
#![allow(dead_code)]

pub mod media;
pub mod realworld;
pub mod reposts;
pub mod server;
pub mod tools;
pub mod tsa;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A fresh catalog in a temp dir, with a `work/` folder for input files.
pub struct Cat {
    pub tmp: TempDir,
    pub dir: PathBuf,
}

impl Cat {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("cat");
        std::fs::create_dir_all(tmp.path().join("work")).expect("work dir");
        let c = Cat { tmp, dir };
        let out = c.bare().args(["--actor", "tester", "init"]).arg(&c.dir).output().expect("run init");
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        c
    }

    /// A temp dir with `work/` but no catalog, for tests that run `init`
    /// themselves (`dir` is where `new` would have put the catalog).
    pub fn empty() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("cat");
        std::fs::create_dir_all(tmp.path().join("work")).expect("work dir");
        Cat { tmp, dir }
    }

    /// `evcat` with a clean environment (no EVCAT_* from the developer's shell).
    pub fn bare(&self) -> Command {
        let mut cmd = Command::cargo_bin("evcat").expect("evcat binary");
        cmd.env_remove("EVCAT_CATALOG")
            .env_remove("EVCAT_ACTOR")
            .env_remove("EVCAT_KEY_FILE")
            .env_remove("EVCAT_LOCATION")
            .env_remove("EVCAT_IO_THREADS")
            .env_remove("EVCAT_NO_DIRECT_IO")
            .env_remove("EVCAT_ADD_BATCH_FILES")
            .current_dir(self.tmp.path());
        cmd
    }

    /// `evcat --catalog DIR`.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--catalog").arg(&self.dir);
        cmd
    }

    /// Run, expect exit 0, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run evcat");
        assert!(
            out.status.success(),
            "evcat {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run with `--json`, expect exit 0, parse stdout as exactly one JSON document.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let stdout = self.ok(&full);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("evcat {args:?}: stdout is not one JSON document ({e}):\n{stdout}"))
    }

    /// Run, expect exit `code`, return (stdout, stderr).
    pub fn fails(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self.cmd().args(args).output().expect("run evcat");
        let (so, se) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
        assert_eq!(out.status.code(), Some(code), "evcat {args:?}: expected exit {code}\nstdout: {so}\nstderr: {se}");
        assert!(!se.contains("panicked"), "evcat {args:?} panicked: {se}");
        (so, se)
    }

    /// Start `evcat --catalog DIR ARGS` in the background (for concurrency tests).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("evcat"))
            .env_remove("EVCAT_CATALOG")
            .env_remove("EVCAT_ACTOR")
            .arg("--catalog")
            .arg(&self.dir)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn evcat")
    }

    pub fn work(&self, name: &str) -> PathBuf {
        self.tmp.path().join("work").join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.work(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    /// Direct SQL on the catalog, as an attacker with the sqlite3 shell would.
    pub fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.dir.join("catalog.sqlite")).expect("open db");
        conn.execute_batch(sql).unwrap_or_else(|e| panic!("sql {sql}: {e}"));
    }

    pub fn object_path(&self, sha: &str) -> PathBuf {
        self.dir.join("objects/sha256").join(&sha[0..2]).join(&sha[2..4]).join(sha)
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// `sha256sum FILE` as an independent reference implementation.
pub fn sha256sum(p: &Path) -> String {
    let out = std::process::Command::new("sha256sum").arg(p).output().expect("sha256sum is part of coreutils");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// SHA-256 of bytes, hex (through `sha256sum`, the same reference as [`sha256sum`]).
pub fn sha256_bytes(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bytes");
    std::fs::write(&p, bytes).expect("write");
    sha256sum(&p)
}

/// Registered items of an `add --json` report.
pub fn registered(report: &Value) -> Vec<&Value> {
    report["items"].as_array().map(|a| a.iter().filter(|i| i["outcome"] == "registered").collect()).unwrap_or_default()
}
