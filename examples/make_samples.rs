//! Generates the project's sample media, deterministically, into a directory:
//!
//! ```text
//! cargo run --release --example make_samples -- samples/media
//! ```
//!
//! The outputs are committed; this program documents exactly how they were
//! made and lets anyone regenerate them. Needs `ffmpeg` on PATH for the clips.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::imageops::{self, FilterType};

// The same builder the integration tests use, so samples and fixtures agree.
#[path = "../tests/common/exif_builder.rs"]
mod exif_builder;

use exif_builder::Exif;

fn main() {
    let dir = PathBuf::from(std::env::args_os().nth(1).unwrap_or_else(|| "samples/media".into()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));

    let selfie_exif = Exif {
        date_time_original: Some("2026:03:14 15:42:10".into()),
        offset: Some("+11:00".into()),
        make: Some("Fictional Phone Co".into()),
        model: Some("FP-7".into()),
        gps: Some((-33.8610, 151.2100)),
        orientation: Some(1),
        software: None,
    };
    let selfie_seed = 20260314;
    write(&dir, "selfie-photo.jpg", &exif_builder::jpeg_with_exif(640, 480, selfie_seed, &selfie_exif));

    // A platform re-upload: same picture, downscaled, recompressed harder and
    // stripped of metadata, which is what social platforms typically do.
    let original = exif_builder::render(640, 480, selfie_seed);
    let smaller = imageops::resize(&original, 480, 360, FilterType::Triangle);
    write(&dir, "selfie-reupload.jpg", &exif_builder::encode_jpeg(&smaller, 60));

    let steps_exif = Exif {
        date_time_original: Some("2026:03:14 16:05:37".into()),
        offset: Some("+11:00".into()),
        make: Some("Imaginary Optics".into()),
        model: Some("IO-200".into()),
        gps: None,
        orientation: Some(1),
        software: Some("IO Firmware 2.1".into()),
    };
    write(&dir, "steps-photo.jpg", &exif_builder::jpeg_with_exif(800, 600, 7_041_993, &steps_exif));

    // Two visually unrelated sources, so near-duplicate detection has nothing to
    // find between the clips (both being test patterns made them match).
    make_mp4(&dir.join("barrier-clip.mp4"), "testsrc2", 6, 320, 240, "2026-03-14T04:20:00Z");
    make_mp4(&dir.join("livestream-excerpt.mp4"), "mandelbrot", 8, 320, 240, "2026-03-14T05:05:00Z");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("{} ({} bytes)", path.display(), bytes.len());
}

/// Mirrors `make_mp4` in tests/common/media.rs, plus a CRF to keep the
/// committed clips small.
fn make_mp4(path: &Path, source: &str, secs: u32, w: u32, h: u32, creation_time: &str) {
    let out = Command::new("ffmpeg")
        .args(["-y", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("{source}=size={w}x{h}:rate=25"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440"])
        .arg("-t")
        .arg(secs.to_string())
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-crf", "32"])
        .args(["-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart"])
        // Keep output independent of the ffmpeg build and of the wall clock.
        .args(["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"])
        .arg("-metadata")
        .arg(format!("creation_time={creation_time}"))
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("could not run ffmpeg (is it on PATH? try `bash .ci/install-test-deps`): {e}"));
    assert!(
        out.status.success(),
        "ffmpeg failed ({}) making {}: {}",
        out.status,
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
    println!("{} ({len} bytes)", path.display());
}
