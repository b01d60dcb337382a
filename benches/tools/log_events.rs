//! Builds a catalog whose custody log holds N events, for the log-audit
//! benchmark in `benches/run.sh` (not a test):
//!
//! ```text
//! cargo run --release --example bench_log -- DIR 1000000
//! evcat --catalog DIR audit --log-only --no-record
//! ```
//!
//! Events go through the public mutation path (`Catalog::write` /
//! `Writer::append`), so each one is canonically encoded, hash-chained and
//! ed25519-signed exactly like events written by the CLI. They are appended in
//! transactions of `CHUNK` events. Prints the build time, events/s and the size
//! of catalog.sqlite as one `key=value` line for run.sh to parse.

use std::path::PathBuf;
use std::time::Instant;

use evcat::catalog::Subject;
use evcat::Catalog;

const CHUNK: u64 = 50_000;

fn main() -> evcat::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: bench_log DIR EVENTS");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let n: u64 = n.to_string_lossy().parse().expect("EVENTS is a number");

    let start = Instant::now();
    let mut cat = Catalog::init(&dir, "bench", None)?;
    let mut done = 0u64;
    while done < n {
        let upto = (done + CHUNK).min(n);
        cat.write(|w| {
            for i in done..upto {
                w.append(Subject::Catalog, evcat::custody::Action::Note, Some("bench"), serde_json::json!({ "i": i }))?;
            }
            Ok(())
        })?;
        done = upto;
    }
    drop(cat);
    let secs = start.elapsed().as_secs_f64();
    let db = dir.join(evcat::catalog::DB_FILE);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(dir.join("catalog.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
    println!("events={n} build_secs={secs:.3} events_per_sec={:.0} db_bytes={size} wal_bytes={wal}", n as f64 / secs);
    Ok(())
}
