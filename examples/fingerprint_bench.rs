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

    // Stills (issue 15): a 2-megapixel JPEG from the file to every hash and the
    // thumbnail, the way `add` analyses it (decoded once at reduced scale),
    // against a full decode alone (the old first step).
    let dir = std::env::temp_dir().join(format!("evcat-fp-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let photos: Vec<std::path::PathBuf> = (0..20u32)
        .map(|s| {
            let img = image::RgbImage::from_fn(1920, 1080, |x, y| {
                let v = (((x / 3) ^ (y / 2)).wrapping_mul(s + 7) >> 2) as u8;
                image::Rgb([v, v.wrapping_add((x / 50) as u8), (y / 40 + s) as u8])
            });
            let p = dir.join(format!("p{s}.jpg"));
            img.save_with_format(&p, image::ImageFormat::Jpeg).expect("writing a bench JPEG");
            p
        })
        .collect();
    let t = Instant::now();
    for p in &photos {
        let img = image::open(p).expect("bench JPEG decodes").into_rgb8();
        assert_eq!(img.width(), 1920);
    }
    let full = t.elapsed().as_secs_f64() * 1000.0 / photos.len() as f64;
    let t = Instant::now();
    let mut hashes = 0;
    for p in &photos {
        let img = evcat::fingerprint::analyze::decode_for_analysis(p).expect("bench JPEG decodes");
        hashes += evcat::fingerprint::still_hashes(&img).len();
        assert!(evcat::fingerprint::thumbs::thumbnail(&img).is_some());
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / photos.len() as f64;
    println!(
        "still 1920x1080 JPEG: {per:.1} ms/photo for {} hashes + thumbnail (scaled decode, one core); full decode alone {full:.1} ms",
        hashes / photos.len()
    );

    // Videos: ffmpeg decode + keyframe PDQ of a generated 30 s 1280x720 clip,
    // against the decode floor (ffmpeg sampling 1 frame/s, scaled, to null).
    let clip = dir.join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "30"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let t = Instant::now();
        let floor = std::process::Command::new("ffmpeg")
            .args(["-loglevel", "error", "-nostdin", "-threads", "2", "-i"])
            .arg(&clip)
            .args(["-an", "-vf", "fps=1,scale=-2:320:flags=area", "-f", "null", "-"])
            .status()
            .is_ok_and(|s| s.success());
        let floor_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        match evcat::fingerprint::video::decode(&clip) {
            Ok(d) => {
                let n = d.frames.len();
                let mut hashes = 0;
                for f in &d.frames {
                    if let Some(img) = image::RgbImage::from_raw(f.width, f.height, f.rgb.clone()) {
                        hashes += evcat::fingerprint::analyze::keyframe_hashes(&img, 0, 0).len();
                    }
                }
                let s = t.elapsed().as_secs_f64();
                println!(
                    "video 30 s 1280x720 H.264: {n} keyframes ({hashes} hashes) decoded and hashed in {s:.2} s ({:.1}x real time); \
                     decode floor (ffmpeg fps=1,scale, -f null{}) {floor_s:.2} s: {:.2}x the floor",
                    30.0 / s,
                    if floor { "" } else { " FAILED" },
                    s / floor_s
                );
            }
            Err(e) => println!("video: decode failed: {e:?}"),
        }
    } else {
        println!("video: ffmpeg not available; skipped");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
