//! Media fixtures, generated in code so the suite needs no binary files
//! checked in: JPEGs (with and without hand-built EXIF), PNGs, real H.264
//! MP4s from ffmpeg, and deliberately hostile inputs.
#![allow(dead_code)]

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

// Shared with examples/make_samples.rs, which cannot see this module.
#[path = "exif_builder.rs"]
mod exif_builder;

// Not every test crate uses all of these.
#[allow(unused_imports)]
pub use exif_builder::{jpeg_bytes, jpeg_with_exif, Exif};

/// A deterministic PNG whose pixels depend on `seed`.
pub fn png_bytes(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let img = exif_builder::render(w, h, seed);
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, ExtendedColorType::Rgb8)
        .expect("encoding an in-memory RGB image as PNG");
    out
}

/// A PNG whose header honestly claims `w`×`h` RGB pixels but whose IDAT holds
/// a single byte: a decoder that trusts the header and allocates up front
/// falls over, which is what a decompression bomb exploits.
pub fn png_claiming_size(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    // 8-bit RGB, deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);

    // A complete, valid zlib stream (one stored block) holding one zero byte,
    // so only the size mismatch is wrong, not the compression framing.
    let idat = [0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01];

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let crc_start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    // The CRC covers the chunk type and data, not the length.
    let crc = crc32(&out[crc_start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE, reflected), as PNG uses. Bitwise: fixtures are tiny.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Renders a real H.264/AAC MP4 with ffmpeg into `dir/name`.
///
/// Panics when ffmpeg is missing or fails: a skipped media test would
/// silently hide a broken video path, so these tests must fail loudly.
pub fn make_mp4(dir: &Path, name: &str, secs: u32, w: u32, h: u32, creation_time: Option<&str>) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let path = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-y", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={w}x{h}:rate=25"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440"])
        .arg("-t")
        .arg(secs.to_string())
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac"])
        .args(["-movflags", "+faststart"])
        // Keep output independent of the ffmpeg build and of the wall clock.
        .args(["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]);
    if let Some(t) = creation_time {
        cmd.arg("-metadata").arg(format!("creation_time={t}"));
    }
    cmd.arg(&path);
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("ffmpeg not found on PATH: run `bash .ci/install-test-deps`")
        }
        Err(e) => panic!("could not run ffmpeg: {e}"),
    };
    assert!(
        out.status.success(),
        "ffmpeg failed ({}) making {}: {}",
        out.status,
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.is_file(), "ffmpeg exited 0 but wrote no {}", path.display());
    path
}

/// The first `len` bytes (all of them if `len` is past the end).
pub fn truncate(bytes: &[u8], len: usize) -> Vec<u8> {
    bytes[..len.min(bytes.len())].to_vec()
}

/// An MP4 whose `moov` box claims a 64-bit size near 2^63 but holds a few
/// bytes: a parser that believes box sizes will seek or allocate far past EOF.
pub fn mp4_with_huge_box() -> Vec<u8> {
    let mut out = Vec::new();
    // ftyp: size, type, major brand, minor version, compatible brands.
    out.extend_from_slice(&24u32.to_be_bytes());
    out.extend_from_slice(b"ftyp");
    out.extend_from_slice(b"isom");
    out.extend_from_slice(&0x200u32.to_be_bytes());
    out.extend_from_slice(b"isom");
    out.extend_from_slice(b"mp41");
    // Size 1 means "the real size is the 64-bit largesize that follows".
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&0x7FFF_FFFF_FFFF_FFF0u64.to_be_bytes());
    // The start of an mvhd child, cut off.
    out.extend_from_slice(&108u32.to_be_bytes());
    out.extend_from_slice(b"mvhd");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}

/// `n` deterministic pseudo-random bytes; different seeds give unrelated data.
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = exif_builder::SplitMix64::new(seed);
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(n);
    out
}
