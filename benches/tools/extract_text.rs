//! evcat's main-text extraction over benchmark pages (benches/extract/run.sh): one JSON line
//! per page, {"page", "tool": "evcat", "text", "seconds"}; seconds covers decoding, parsing
//! and extraction in process, the same span the other tools are timed over.
//!
//! Usage: cargo run --release --example bench_extract -- PAGE.html...

use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("cannot read {path}");
            continue;
        };
        let page = std::path::Path::new(&path).file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let t = Instant::now();
        let text = match evcat::articles::parse_article_bytes(&bytes, Some("html")) {
            Ok(a) => a.body,
            Err(e) => {
                eprintln!("evcat failed on {page}: {e}");
                String::new()
            }
        };
        let seconds = t.elapsed().as_secs_f64();
        println!("{}", serde_json::json!({"page": page, "tool": "evcat", "text": text, "seconds": seconds}));
    }
}
