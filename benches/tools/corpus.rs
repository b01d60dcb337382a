//! Deterministic benchmark inputs for `benches/make-corpus.sh` (not a test).
//!
//! ```text
//! cargo run --release --example bench_corpus -- photos DIR COUNT   # 1080p JPEGs with EXIF, ~1.4 MB each
//! cargo run --release --example bench_corpus -- small DIR COUNT    # 0.5-4 KB random files in nested folders
//! cargo run --release --example bench_corpus -- big FILE BYTES     # one large file of pseudo-random bytes
//! ```
//!
//! Everything comes from splitmix64 with fixed seeds, so two runs produce the
//! same bytes. The photos reuse the test-suite's EXIF builder, so the probe
//! benchmark reads the same kind of EXIF block the tests check.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use image::Rgb;
use rayon::prelude::*;

#[path = "../../tests/common/exif_builder.rs"]
mod exif_builder;

use exif_builder::{Exif, SplitMix64};

/// Per-channel noise amplitude (pixels get +/- this much) and JPEG quality,
/// tuned so a 1920x1080 photo lands near 1.4 MB, like a phone photo.
const NOISE: i32 = 28;
const QUALITY: u8 = 85;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, target, n) = match args.as_slice() {
        [cmd, target, n] => (cmd.as_str(), PathBuf::from(target), n.parse::<u64>().expect("COUNT/BYTES is a number")),
        _ => {
            eprintln!("usage: bench_corpus photos DIR COUNT | small DIR COUNT | big FILE BYTES");
            std::process::exit(2);
        }
    };
    match cmd {
        "photos" => photos(&target, n),
        "small" => small(&target, n),
        "big" => big(&target, n),
        _ => {
            eprintln!("unknown command {cmd:?}");
            std::process::exit(2);
        }
    }
}

fn photos(dir: &Path, count: u64) {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let makes = [("Fictional Phone Co", "FP-7"), ("Imaginary Optics", "IO-200"), ("Bench Cam", "BC-1")];
    let total: u64 = (0..count)
        .into_par_iter()
        .map(|i| {
            let seed = 0xB0_0000 + i;
            let mut img = exif_builder::render(1920, 1080, seed);
            let mut rng = SplitMix64::new(seed ^ 0x5EED);
            for px in img.pixels_mut() {
                let Rgb(c) = *px;
                let v = rng.next_u64();
                let mut out = [0u8; 3];
                for k in 0..3 {
                    let r = ((v >> (k * 16)) & 0xFFFF) as i32 % (2 * NOISE + 1) - NOISE;
                    out[k] = (i32::from(c[k]) + r).clamp(0, 255) as u8;
                }
                *px = Rgb(out);
            }
            let (make, model) = makes[(i % 3) as usize];
            let exif = Exif {
                date_time_original: Some(format!(
                    "2026:03:{:02} {:02}:{:02}:{:02}",
                    1 + i % 28,
                    i % 24,
                    i % 60,
                    (i * 7) % 60
                )),
                offset: Some("+11:00".into()),
                make: Some(make.into()),
                model: Some(model.into()),
                gps: if i % 2 == 0 { Some((-33.86 + i as f64 * 1e-4, 151.21 - i as f64 * 1e-4)) } else { None },
                orientation: Some(1),
                software: Some("evcat bench corpus".into()),
            };
            let bytes = exif_builder::insert_exif(&exif_builder::encode_jpeg(&img, QUALITY), &exif);
            let path = dir.join(format!("photo-{i:04}.jpg"));
            fs::write(&path, &bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            bytes.len() as u64
        })
        .sum();
    println!(
        "{count} photos, {total} bytes ({:.2} MB each) in {}",
        total as f64 / count.max(1) as f64 / 1e6,
        dir.display()
    );
}

fn small(dir: &Path, count: u64) {
    let mut rng = SplitMix64::new(0x5A11);
    let mut total = 0u64;
    let mut buf = Vec::with_capacity(4096);
    for i in 0..count {
        // 10 x 10 folders two levels deep, ~100 files per leaf for 10,000 files.
        let sub = dir.join(format!("d{:02}", i % 10)).join(format!("e{:02}", (i / 10) % 10));
        if i < 100 {
            fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("creating {}: {e}", sub.display()));
        }
        let len = 512 + rng.below(4096 - 512 + 1) as usize;
        buf.clear();
        while buf.len() < len {
            buf.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        buf.truncate(len);
        let path = sub.join(format!("f{i:05}.bin"));
        fs::write(&path, &buf).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        total += len as u64;
    }
    println!("{count} small files, {total} bytes in {}", dir.display());
}

fn big(path: &Path, bytes: u64) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
    }
    let file = fs::File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = SplitMix64::new(0xB16);
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for w in chunk.chunks_exact_mut(8) {
            w.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n]).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        left -= n as u64;
    }
    out.flush().unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("{bytes} bytes in {}", path.display());
}
