//! Runs candidate extractor crates over benchmark pages and prints one JSON line per page
//! and extractor: {"page", "tool", "text", "seconds"} (seconds: parse + extract, in process).
//!
//! Usage: evcat-extract-candidates PAGE.html...   (gzip-compressed pages are given already
//! decompressed by run.sh)

use std::time::Instant;

/// The crates take text: decode as evcat does (BOM, <meta charset> checked against the bytes).
fn decode(bytes: &[u8]) -> String {
    evcat::articles::decode(bytes, true).text
}

fn dom_smoothie(html: &str) -> String {
    match dom_smoothie::Readability::new(html, None, None).and_then(|mut r| r.parse()) {
        Ok(a) => a.text_content.to_string(),
        Err(_) => String::new(),
    }
}

fn trafilatura_rs(html: &str) -> String {
    match trafilatura::extract(html, &trafilatura::Options::default()) {
        Ok(r) => r.content_text,
        Err(_) => String::new(),
    }
}

fn main() {
    let tools: [(&str, fn(&str) -> String); 2] = [("dom_smoothie", dom_smoothie), ("trafilatura-rs", trafilatura_rs)];
    for path in std::env::args().skip(1) {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("cannot read {path}");
            continue;
        };
        let page = std::path::Path::new(&path).file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        for (name, f) in tools {
            let t = Instant::now();
            let html = decode(&bytes);
            let text = f(&html);
            let secs = t.elapsed().as_secs_f64();
            println!("{}", serde_json::json!({"page": page, "tool": name, "text": text, "seconds": secs}));
        }
    }
}
