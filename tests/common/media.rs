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
pub use exif_builder::{jpeg_bytes, jpeg_with_exif, tiff_block, Exif};

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

/// A photo-like picture: value noise over five octaves (a roughly 1/f
/// spectrum, as natural images have) in three tinted channels plus the
/// shapes of `jpeg_bytes`. Perceptual-hash tests need this texture: the
/// smooth `jpeg_bytes` pictures have too little structure (PDQ quality < 50).
pub fn photo(w: u32, h: u32, seed: u64) -> image::RgbImage {
    let base = exif_builder::render(w, h, seed);
    let mut rng = exif_builder::SplitMix64::new(seed ^ 0x5eed);
    // Octave grids of random values, bilinearly interpolated.
    let octaves: Vec<(u32, Vec<f32>)> = (0..5)
        .map(|o| {
            let cells = 3u32 << o;
            let vals = (0..(cells + 1) * (cells + 1) * 3).map(|_| f32::from(rng.byte()) / 255.0 - 0.5).collect();
            (cells, vals)
        })
        .collect();
    image::RgbImage::from_fn(w, h, |x, y| {
        let mut px = [0f32; 3];
        for (o, (cells, vals)) in octaves.iter().enumerate() {
            let fx = x as f32 / w as f32 * *cells as f32;
            let fy = y as f32 / h as f32 * *cells as f32;
            let (ix, iy) = (fx.floor() as u32, fy.floor() as u32);
            let (tx, ty) = (fx - ix as f32, fy - iy as f32);
            let at =
                |cx: u32, cy: u32, c: usize| vals[(((cy.min(*cells)) * (cells + 1) + cx.min(*cells)) * 3) as usize + c];
            let amp = 160.0 / (1u32 << o) as f32;
            for (c, v) in px.iter_mut().enumerate() {
                let top = at(ix, iy, c) * (1.0 - tx) + at(ix + 1, iy, c) * tx;
                let bot = at(ix, iy + 1, c) * (1.0 - tx) + at(ix + 1, iy + 1, c) * tx;
                *v += amp * (top * (1.0 - ty) + bot * ty);
            }
        }
        let b = base.get_pixel(x, y).0;
        image::Rgb([0, 1, 2].map(|c| (f32::from(b[c]) * 0.5 + 64.0 + px[c]).clamp(0.0, 255.0) as u8))
    })
}

/// `photo` as a JPEG (quality 90).
pub fn photo_jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    exif_builder::encode_jpeg(&photo(w, h, seed), 90)
}

/// `photo` resized to nw×nh and re-encoded at `quality`: what a platform does to an upload.
pub fn photo_resized(w: u32, h: u32, seed: u64, nw: u32, nh: u32, quality: u8) -> Vec<u8> {
    let small = image::imageops::resize(&photo(w, h, seed), nw, nh, image::imageops::FilterType::Triangle);
    exif_builder::encode_jpeg(&small, quality)
}

/// `photo` cropped to keep `keep_percent` % of its area, centred (the same
/// share cut from each edge), re-encoded.
pub fn photo_cropped(w: u32, h: u32, seed: u64, keep_percent: u32) -> Vec<u8> {
    let img = photo(w, h, seed);
    let side = (f64::from(keep_percent) / 100.0).sqrt();
    let (cw, ch) = ((f64::from(w) * side).round() as u32, (f64::from(h) * side).round() as u32);
    let crop = image::imageops::crop_imm(&img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
    exif_builder::encode_jpeg(&crop, 90)
}

/// `photo` with `delta` added to every channel (clamped), re-encoded.
pub fn photo_brightened(w: u32, h: u32, seed: u64, delta: i32) -> Vec<u8> {
    let mut img = photo(w, h, seed);
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (i32::from(*c) + delta).clamp(0, 255) as u8;
        }
    }
    exif_builder::encode_jpeg(&img, 90)
}

/// Runs ffmpeg with `args` (after `-y -loglevel error`), panicking loudly on failure.
fn ffmpeg(args: &[&str], out: &Path) {
    let res = Command::new("ffmpeg").args(["-y", "-loglevel", "error"]).args(args).arg(out).output();
    let out_ = match res {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("ffmpeg not found on PATH: run `bash .ci/install-test-deps`")
        }
        Err(e) => panic!("could not run ffmpeg: {e}"),
    };
    assert!(out_.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out_.stderr));
}

/// An H.264 MP4 of an ffmpeg lavfi source other than `make_mp4`'s testsrc2
/// (e.g. `mandelbrot`, `life`, `smptebars`, `testsrc`): a different clip.
pub fn make_mp4_source(dir: &Path, name: &str, source: &str, secs: u32, w: u32, h: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let path = dir.join(name);
    let src = format!("{source}=size={w}x{h}:rate=25");
    let t = secs.to_string();
    ffmpeg(
        &["-f", "lavfi", "-i", &src, "-t", &t, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"],
        &path,
    );
    path
}

/// Re-encode `src` at w×h and constant rate factor `crf` (higher = lower
/// bitrate), keeping FFmpeg's muxer tag the way platform pipelines do.
pub fn reencode_mp4(src: &Path, dst: &Path, w: u32, h: u32, crf: u32) -> PathBuf {
    let scale = format!("scale={w}:{h}");
    let crf = crf.to_string();
    let input = src.to_str().expect("utf-8 path");
    ffmpeg(&["-i", input, "-vf", &scale, "-c:v", "libx264", "-crf", &crf, "-preset", "veryfast", "-an"], dst);
    dst.to_path_buf()
}

/// `photo_jpeg` with an APP1 Exif segment built from `exif` (a camera original).
pub fn photo_with_exif(w: u32, h: u32, seed: u64, exif: &Exif) -> Vec<u8> {
    exif_builder::insert_exif(&photo_jpeg(w, h, seed), exif)
}
