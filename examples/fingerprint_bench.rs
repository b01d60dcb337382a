//! Benchmark (not a test) for issue 5: near-duplicate query latency over a
//! synthetic index of 1,000,000 PDQ hashes, and fingerprinting throughput on
//! generated photos and videos.
//!
//! ```sh
//! cargo run --release --example fingerprint_bench            # 1,000,000 hashes
//! cargo run --release --example fingerprint_bench -- 200000  # a smaller index
//! ```
//!
//! The synthetic hashes are clustered like a real catalog (groups of
//! near-duplicates around random centres) plus uniform noise; every query is
//! also checked against a linear scan, so the figures are for exact answers.

use std::time::Instant;

use evcat::fingerprint::index::{linear_scan, Index};

#[path = "../benches/tools/synthetic_pdq.rs"]
mod synthetic_pdq;
use synthetic_pdq::Rng;

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let mut rng = Rng(42);
    // 70 % in clusters of 10 (a photo and its copies), 30 % uniform.
    let mut hashes = Vec::with_capacity(n);
    let mut centres = Vec::new();
    while hashes.len() < n * 7 / 10 {
        let c = rng.hash();
        centres.push(c);
        for _ in 0..10 {
            let bits = rng.next() % 24;
            hashes.push(rng.flip(&c, bits));
        }
    }
    while hashes.len() < n {
        hashes.push(rng.hash());
    }
    hashes.truncate(n);
    let t = Instant::now();
    let index = Index::build(&hashes);
    let build = t.elapsed().as_secs_f64();
    println!("index: {} hashes built in {:.2} s", index.len(), build);

    for radius in [31u32, 47, 63] {
        let mut times = Vec::new();
        let mut hits = 0usize;
        for q in 0..200 {
            let query = if q % 2 == 0 {
                let c = centres[(rng.next() as usize) % centres.len()];
                rng.flip(&c, 8)
            } else {
                rng.hash()
            };
            let t = Instant::now();
            let r = index.query(&query, radius);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            hits += r.len();
            if q < 5 {
                assert_eq!(r, linear_scan(&hashes, &query, radius), "index differs from a linear scan");
            }
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p50 = percentile(&mut times, 0.5);
        let p99 = percentile(&mut times, 0.99);
        println!(
            "query radius {radius:>2}: mean {mean:.2} ms, p50 {p50:.2} ms, p99 {p99:.2} ms, {:.1} hits/query",
            hits as f64 / 200.0
        );
    }
    let t = Instant::now();
    for q in 0..5 {
        let _ = linear_scan(&hashes, &hashes[q], 31);
    }
    println!("linear scan for comparison: {:.1} ms/query", t.elapsed().as_secs_f64() * 1000.0 / 5.0);

    // Fingerprinting throughput: PDQ (3 hashes: whole + 2 crops) of 12 MP and 2 MP photos.
    for (w, h, count) in [(4000u32, 3000u32, 5usize), (1600, 1200, 20)] {
        let imgs: Vec<image::RgbImage> = (0..count)
            .map(|s| {
                image::RgbImage::from_fn(w, h, |x, y| {
                    let v = ((x ^ y).wrapping_mul(s as u32 + 7) >> 3) as u8;
                    image::Rgb([v, v.wrapping_add((x / 50) as u8), (y / 40) as u8])
                })
            })
            .collect();
        let t = Instant::now();
        for img in &imgs {
            let f = evcat::fingerprint::still_hashes(img);
            assert_eq!(f.len(), 3);
        }
        let per = t.elapsed().as_secs_f64() / count as f64;
        println!(
            "still fingerprints {w}x{h}: {:.0} ms/photo ({:.1} photos/s, one core, decoded pixels in memory)",
            per * 1000.0,
            1.0 / per
        );
    }
    // Videos: ffmpeg decode + keyframe PDQ of a generated 30 s 1280x720 clip.
    let dir = std::env::temp_dir().join(format!("evcat-fp-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let clip = dir.join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "30"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let t = Instant::now();
        match evcat::fingerprint::video::decode(&clip) {
            Ok(d) => {
                let n = d.frames.len();
                for f in &d.frames {
                    if let Some(img) = image::RgbImage::from_raw(f.width, f.height, f.rgb.clone()) {
                        let _ = evcat::fingerprint::hash_rgb(&img);
                    }
                }
                let s = t.elapsed().as_secs_f64();
                println!(
                    "video 30 s 1280x720 H.264: {n} keyframes decoded and hashed in {s:.2} s ({:.1}x real time)",
                    30.0 / s
                );
            }
            Err(e) => println!("video: decode failed: {e:?}"),
        }
    } else {
        println!("video: ffmpeg not available; skipped");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
